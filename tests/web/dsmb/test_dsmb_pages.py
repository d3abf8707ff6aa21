"""Issue 15, DSMB pages: the DSMB records a meeting, generates both reports, opens them as HTML
and PDF and signs its recommendation on the pages; the sponsor responds there; blinded roles
see the boundary table and no closed report."""

from __future__ import annotations

from dsmb_kit import DSMB, SPONSOR, days_ago, participants
from login import signed_in_client
from trial_factory import PASSWORD

from trialdesk.web.dsmb.models import (
    Meeting,
    Report,
    ReportJob,
    SignedRecommendation,
    SponsorResponse,
)
from trialdesk.web.worker.runner import run_ready


def test_the_dsmb_works_through_its_pages(trial):
    participants(trial, 4)
    dsmb = signed_in_client(trial.users[DSMB])
    response = dsmb.post("/dsmb/", {"date": days_ago(0).isoformat(), "kind": "scheduled",
                                    "cutoff": days_ago(1).isoformat(), "attendees": "Chair"})
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == f"/dsmb/meetings/{meeting.pk}/"
    for kind in ("open", "closed"):
        # the button queues the generation (issue 20); the job's page leads to the report
        response = dsmb.post(f"/dsmb/meetings/{meeting.pk}/reports/", {"kind": kind})
        job = ReportJob.objects.get(kind=kind)
        assert response.url == f"/dsmb/jobs/{job.pk}/"
        assert run_ready() == 1
        response = dsmb.get(response.url)
        report = Report.objects.get(kind=kind)
        assert response.url == f"/dsmb/reports/{report.pk}/"
        page = dsmb.get(response.url)
        assert page.status_code == 200 and page.content.decode() == report.html
        pdf = dsmb.get(f"/dsmb/reports/{report.pk}/pdf/")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    page = dsmb.get(f"/dsmb/meetings/{meeting.pk}/").content.decode()
    assert "Generate the closed session report" in page and "legally binding" in page
    dsmb.post(f"/dsmb/meetings/{meeting.pk}/recommendation/",
              {"decision": "continue", "rationale": "Nothing of concern so far.",
               "password": "wrong"})
    assert not SignedRecommendation.objects.exists()
    dsmb.post(f"/dsmb/meetings/{meeting.pk}/recommendation/",
              {"decision": "continue", "rationale": "Nothing of concern so far.",
               "password": PASSWORD})
    signed = SignedRecommendation.objects.get()
    sponsor = signed_in_client(trial.users[SPONSOR])
    page = sponsor.get(f"/dsmb/meetings/{meeting.pk}/").content.decode()
    assert "Record the response" in page and "closed" not in page
    assert "Nothing of concern" not in page  # the rationale is the DSMB's
    response = sponsor.post(f"/dsmb/recommendations/{signed.recommendation_id}/response/",
                            {"response": "accepted", "text": "The trial continues as planned."})
    assert response.status_code == 302 and SponsorResponse.objects.count() == 1
    closed = Report.objects.get(kind="closed").pk
    assert sponsor.get(f"/dsmb/reports/{closed}/").status_code == 404
    investigator = signed_in_client(trial.users["investigator-co-01"])
    assert investigator.get("/dsmb/").status_code == 403
    rule = investigator.get("/dsmb/stopping-rule/")
    assert rule.status_code == 200 and 'id="boundary"' in rule.content.decode()
