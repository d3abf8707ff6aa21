"""Issue 23: with a [bop2_monitoring] rule in the protocol, the DSMB's closed report shows the
watched arm's responses and toxicities at each look against the BOP2 boundaries, on the data
known by the cut-off; the open report and every blinded role see none of it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from dsmb_kit import (
    DSMB,
    INVESTIGATOR,
    MEETINGS,
    SPONSOR,
    add_event,
    add_infusion,
    days_ago,
    participants,
)
from trial_factory import make_trial, protocol_in_use

from trialdesk.protocol import default_protocol_path
from trialdesk.stats.design import bop2 as design
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import bop2, data
from trialdesk.web.dsmb.models import Report
from trialdesk.web.trials.models import Participant, Randomization

SECTION = """
[bop2_monitoring]
arm = "msc"
looks = [2, 4, 6]
null = [0.15, 0.30, 0.15, 0.40]
alternative = [0.18, 0.42, 0.02, 0.38]
lambda = 0.7
gamma = 1.0
[bop2_monitoring.efficacy]
form = "end_of_study"
field = "vital_status_day28"
values = ["alive"]
[bop2_monitoring.toxicity]
min_grade = 4
serious_related = true
"""


@pytest.fixture
def bop2_trial(db, settings, tmp_path):
    path = tmp_path / "bop2.toml"
    text = re.sub(r"\n\[bop2_monitoring\].*?(?=\n# ---)", "\n",
                  default_protocol_path().read_text(encoding="utf-8"), flags=re.S)
    path.write_text(text + SECTION, encoding="utf-8")
    with protocol_in_use(settings, path):
        yield make_trial(settings)


def end_of_study(trial, code: str, status: str, *, recorded: dt.date) -> None:
    participant = Participant.objects.get(code=code)
    user = trial.users[INVESTIGATOR]
    at = timezone.make_aware(dt.datetime.combine(recorded, dt.time(9)), dt.UTC)
    FormInstance.objects.create(
        participant=participant, site=participant.site, visit="day28", form="end_of_study",
        values={"vital_status_day28": status}, created_at=at, created_by=user,
        updated_at=at, updated_by=user)


@pytest.fixture
def cohort(bop2_trial):
    arms = participants(bop2_trial, 16)
    msc = [code for code in Randomization.objects.order_by("randomized_at", "pk").values_list(
        "participant__code", flat=True) if arms.get(code) == "msc"]  # randomization order
    standard = sorted(code for code, arm in arms.items() if arm == "standard")
    assert len(msc) >= 8 and standard
    cut = days_ago(10)
    for code in msc[:7]:
        add_infusion(bop2_trial, code, on=days_ago(28))
    # msc[7] is never infused: not counted, whatever its outcome
    end_of_study(bop2_trial, msc[7], "dead", recorded=days_ago(25))
    add_event(bop2_trial, msc[7], onset=days_ago(26), grade=5, death=True)
    # outcomes recorded out of randomization order: the looks still count in that order
    statuses = ["alive", "dead", "alive", "alive", "dead", "unknown"]
    for k, status in enumerate(statuses):
        end_of_study(bop2_trial, msc[k], status, recorded=days_ago(15 + k))
    end_of_study(bop2_trial, msc[6], "alive", recorded=days_ago(5))  # after the cut
    add_event(bop2_trial, msc[1], onset=days_ago(19), grade=4)  # toxicity (grade)
    add_event(bop2_trial, msc[4], onset=days_ago(16), grade=2, relatedness="probable",
              hospitalization=True)  # toxicity (serious, related)
    add_event(bop2_trial, msc[2], onset=days_ago(5), grade=4)  # after the cut
    add_event(bop2_trial, msc[3], onset=days_ago(15), grade=3)  # not the toxicity
    # the other arm counts for nothing
    add_infusion(bop2_trial, standard[0], on=days_ago(28))
    end_of_study(bop2_trial, standard[0], "dead", recorded=days_ago(20))
    add_event(bop2_trial, standard[0], onset=days_ago(19), grade=5, death=True)
    return msc, cut


def test_the_looks_count_the_treated_of_the_watched_arm_in_randomization_order(bop2_trial,
                                                                             cohort):
    msc, cut = cohort
    rule = get_protocol().bop2_monitoring
    ordered, toxic = bop2.outcomes_in_order(rule, cut)
    # randomized 30 days before now: the day-28 form (window 3 days) is not overdue yet
    assert ordered == [(msc[0], "alive", False), (msc[1], "dead", False),
                       (msc[2], "alive", False), (msc[3], "alive", False),
                       (msc[4], "dead", False), (msc[5], "unknown", False), (msc[6], None, False)]
    assert toxic == {msc[1], msc[4]}
    figures = data.closed_figures(cut).bop2
    assert (figures.treated, figures.evaluable, figures.in_order, figures.missing) == (7, 6, 6, 0)
    # boundaries (lambda 0.7, gamma 1, N = 6): stop if responses <= 0, 1, 3 or toxicities >= 2
    assert [(look.n, look.stop_if_efficacies_at_most, look.stop_if_toxicities_at_least)
            for look in figures.looks] == [(2, 0, 2), (4, 1, 2), (6, 3, 2)]
    assert [(look.efficacies, look.toxicities, look.decision, look.first_stop)
            for look in figures.looks] == [(1, 1, "continue", False), (3, 1, "continue", False),
                                           (3, 2, "stop_both", True)]
    assert figures.looks[2].stop_if_efficacies_at_most == design.boundaries(
        rule.problem(), 0.7, 1.0).eff_stop[2]
    # later: the seventh outcome is in; the look at 6 still reads the first six randomized
    later = bop2.bop2_figures(days_ago(0))
    assert (later.evaluable, later.in_order, later.looks[2].efficacies) == (7, 7, 3)


def test_a_missing_outcome_holds_the_looks_back(bop2_trial, cohort):
    msc, cut = cohort
    FormInstance.objects.filter(participant__code=msc[2], form="end_of_study").update(
        values={"vital_status_day28": ""})  # the third randomized: outcome not filled in
    figures = bop2.bop2_figures(cut)
    assert (figures.evaluable, figures.in_order, figures.missing) == (5, 2, 0)
    assert [look.decision for look in figures.looks] == ["continue", "not_reached",
                                                         "not_reached"]


def test_an_overdue_outcome_is_left_out(bop2_trial, cohort):
    msc, cut = cohort
    FormInstance.objects.filter(participant__code=msc[2], form="end_of_study").update(
        values={"vital_status_day28": ""})
    # randomized 50 days back: by the cut the day-28 form (window 3 days) is overdue
    for row in Randomization.objects.filter(participant__code__in=msc):
        row.randomized_at -= dt.timedelta(days=20)
        row.save(update_fields=["randomized_at"])
    figures = bop2.bop2_figures(cut)
    # msc[2] (no outcome) and msc[6] (outcome after the cut) left out; the others counted
    assert (figures.evaluable, figures.in_order, figures.missing) == (5, 5, 2)
    assert [(look.efficacies, look.toxicities) for look in figures.looks[:2]] == [(1, 1),
                                                                                  (2, 2)]
    assert figures.looks[1].decision == "stop_toxicity"


def test_only_the_closed_report_shows_the_bop2_line(bop2_trial, cohort):
    _msc, cut = cohort
    api = bop2_trial.api(DSMB)
    meeting = api.ok("POST", MEETINGS, {"date": days_ago(1).isoformat(), "kind": "scheduled",
                                        "cutoff": cut.isoformat(), "attendees": "Chair"})
    closed = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "closed"})
    opened = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "open"})
    closed_html = Report.objects.get(pk=closed["id"]).html
    assert 'id="bop2"' in closed_html
    assert "evaluable (outcome recorded): 6; the looks count the first 6 randomized" in closed_html
    assert "<td>6</td><td>3</td><td>3</td><td>2</td><td>2</td>" in closed_html
    assert "STOP: futility and toxicity (first stop)" in closed_html
    # the rule's figures as each document's language writes numbers (issue 19)
    assert "null cells 0.15, 0.3, 0.15, 0.4," in closed_html
    _, spanish, _ = Report.objects.get(pk=closed["id"]).document("es")
    assert "0,15, 0,3, 0,15, 0,4" in spanish and "0.15, 0.3" not in spanish
    open_html = Report.objects.get(pk=opened["id"]).html
    assert "BOP2" not in open_html and "bop2" not in open_html
    sponsor = bop2_trial.api(SPONSOR)
    assert sponsor.get(f"/api/v1/dsmb/reports/{closed['id']}").status_code == 404
    assert sponsor.get(f"/api/v1/dsmb/reports/{opened['id']}").status_code == 200


def test_the_default_protocol_shows_its_rule_and_none_without_one(trial, settings, tmp_path):
    arms = participants(trial, 2)
    looks = data.closed_figures(days_ago(0)).bop2.looks
    assert [look.n for look in looks] == [5, 10, 15, 20]  # NCT04390152's rule
    assert {look.decision for look in looks} == {"not_reached"} and arms
    path = tmp_path / "no-bop2.toml"
    path.write_text(re.sub(r"\n\[bop2_monitoring\].*?(?=\n# ---)", "\n",
                           default_protocol_path().read_text(encoding="utf-8"), flags=re.S),
                    encoding="utf-8")
    with protocol_in_use(settings, path):
        assert data.closed_figures(days_ago(0)).bop2 is None
