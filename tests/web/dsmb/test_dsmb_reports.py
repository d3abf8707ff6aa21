"""Issue 15, DSMB: meetings, the open (pooled) and closed (by arm) reports as dated data cuts,
each generation stored with its SHA-256 and audited; the figures against an independent
computation (scipy's beta distribution for the exact Clopper-Pearson interval); the PDF."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from dsmb_kit import DSMB, MEETINGS, SPONSOR, add_event, days_ago, participants
from scipy.stats import beta

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.dsmb import data
from trialdesk.web.dsmb.models import Report


def clopper_pearson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact interval from its definition: beta quantiles (Clopper and Pearson 1934)."""
    alpha = 1 - level
    lower = 0.0 if x == 0 else beta.ppf(alpha / 2, x, n - x + 1)
    upper = 1.0 if x == n else beta.ppf(1 - alpha / 2, x + 1, n - x)
    return float(lower), float(upper)


@pytest.fixture
def cohort(trial):
    """Eight participants randomized 30 days ago, with events before and after a cut-off 10
    days ago."""
    arms = participants(trial, 8)
    codes = sorted(arms)
    cut = days_ago(10)
    add_event(trial, codes[0], onset=days_ago(20), grade=3, hospitalization=True,
              relatedness="probable")
    add_event(trial, codes[1], onset=days_ago(15), grade=2, relatedness="possible")
    add_event(trial, codes[2], onset=days_ago(12), grade=5, death=True)
    add_event(trial, codes[3], onset=days_ago(25), grade=1)
    # after the cut-off: onset later, or onset before but known only later
    add_event(trial, codes[4], onset=days_ago(5), grade=4, life_threatening=True)
    add_event(trial, codes[5], onset=days_ago(12), aware=days_ago(3), grade=3,
              hospitalization=True)
    return arms, codes, cut


def _meeting(trial, cut) -> dict:
    return trial.api(DSMB).ok("POST", MEETINGS, {"date": days_ago(1).isoformat(),
                                                 "kind": "scheduled",
                                                 "cutoff": cut.isoformat(),
                                                 "attendees": "Chair; statistician"})


def test_closed_figures_equal_an_independent_computation(trial, cohort):
    arms, codes, cut = cohort
    known = {codes[0]: {"any_ae", "sae", "grade_3_plus", "related"},
             codes[1]: {"any_ae", "related"},
             codes[2]: {"any_ae", "sae", "grade_3_plus", "death"},
             codes[3]: {"any_ae"}}
    figures = data.closed_figures(cut)
    order = ["msc", "standard"]
    assert [arm.arm for arm in figures.arms] == order
    for arm in figures.arms:
        members = [code for code, given in arms.items() if given == arm.arm]
        assert arm.n == len(members)
        for name in data.CATEGORIES:
            x = sum(1 for code in members if name in known.get(code, set()))
            found = arm.incidences[name]
            assert (found.events, found.n) == (x, len(members))
            assert found.proportion == pytest.approx(x / len(members))
            lower, upper = clopper_pearson(x, len(members))
            assert found.lower == pytest.approx(lower, abs=1e-9)
            assert found.upper == pytest.approx(upper, abs=1e-9)
    first, second = figures.arms
    for name in data.CATEGORIES:
        difference = figures.differences[name]
        expected = (first.incidences[name].events / first.n
                    - second.incidences[name].events / second.n)
        assert difference.difference == pytest.approx(expected)
        assert difference.lower <= expected <= difference.upper
    # the listings: the SAEs and the death known by the cut-off, each with its arm
    assert sorted(row["participant"] for row in figures.sae_listing) == sorted(codes[:3:2])
    assert [row["participant"] for row in figures.death_listing] == [codes[2]]
    assert all(row["arm"] == arms[row["participant"]] for row in figures.sae_listing)


def test_the_data_cut_leaves_out_later_events(trial, cohort):
    _arms, _codes, cut = cohort
    pooled = data.open_figures(cut)
    assert pooled.enrolled == 8
    assert pooled.counts == {"any_ae": 4, "sae": 2, "grade_3_plus": 2, "related": 2, "death": 1}
    later = data.open_figures(days_ago(0))
    assert later.counts["sae"] == 4 and later.counts["grade_3_plus"] == 4
    # nobody randomized after the cut counts either
    assert data.open_figures(days_ago(40)).enrolled == 0


def test_each_generation_is_stored_with_its_hash_and_audited(trial, cohort):
    _arms, _codes, cut = cohort
    api = trial.api(DSMB)
    meeting = _meeting(trial, cut)
    opened = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "open"})
    closed = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "closed"})
    again = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "closed"})
    assert len({opened["id"], closed["id"], again["id"]}) == 3
    for made in (opened, closed, again):
        stored = Report.objects.get(pk=made["id"])
        assert stored.sha256 == hashlib.sha256(stored.html.encode()).hexdigest() == made["sha256"]
        assert stored.cutoff == cut and stored.generated_by.username == DSMB
        record = AuditRecord.objects.get(action="generate_dsmb_report", object_id=str(stored.pk))
        assert record.actor == DSMB
        assert record.changes["cutoff"]["new"] == cut.isoformat()
        assert record.changes["kind"]["new"] == stored.kind
        # a closed report's hash is not in the trail that blinded roles read
        assert ("sha256" in record.changes) == (stored.kind == "open")
    assert AuditRecord.objects.filter(action="create_dsmb_meeting").count() == 1
    # the closed report shows the arms; the open one none
    closed_html = Report.objects.get(pk=closed["id"]).html
    open_html = Report.objects.get(pk=opened["id"]).html
    assert "Standard therapy plus MSC" in closed_html and "Clopper-Pearson" in closed_html
    assert "MSC" not in open_html and "Standard therapy" not in open_html
    # both show the enrollment curve, the same drawing (issue 19: the closed report had none)
    plots = [re.search(r'<figure class="plot">(.*?)</figure>', html, re.S)
             for html in (open_html, closed_html)]
    assert all(plots) and "<svg" in plots[0].group(1)
    assert plots[0].group(1) == plots[1].group(1)
    # the sponsor reads the open report, never the closed one (not found, as a missing one)
    sponsor = trial.api(SPONSOR)
    assert sponsor.get(f"/api/v1/dsmb/reports/{opened['id']}").status_code == 200
    assert sponsor.get(f"/api/v1/dsmb/reports/{closed['id']}").status_code == 404
    assert sponsor.get("/api/v1/dsmb/reports/999999").status_code == 404
    [listed] = sponsor.ok("GET", f"{MEETINGS}/{meeting['id']}")["reports"]
    assert listed["kind"] == "open"
    assert sponsor.post(f"{MEETINGS}/{meeting['id']}/reports",
                        {"kind": "closed"}).status_code == 403


def test_a_report_renders_as_pdf_and_its_first_page_is_not_blank(trial, cohort, tmp_path,
                                                                 test_output_dir):
    import pypdfium2

    _arms, _codes, cut = cohort
    api = trial.api(DSMB)
    meeting = _meeting(trial, cut)
    closed = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "closed"})
    response = api.get(f"/api/v1/dsmb/reports/{closed['id']}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=1.5).to_pil().convert("L")
    png = test_output_dir / "dsmb-closed-report-page-1.png"
    image.save(png)
    assert png.stat().st_size > 0
    pixels = np.asarray(image)
    assert (pixels < 200).mean() > 0.01, "the first page is (nearly) blank"
