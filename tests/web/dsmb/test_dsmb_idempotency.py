"""Issue 12: the DSMB's creates take an idempotency key (``core.idempotency``): a meeting, a
report, a signed recommendation (its password still checked, and a wrong one still audited and
counted, before the key's answer is looked up), the sponsor's response and a recorded
recommendation, each retried, answer the first answer and add nothing."""

from __future__ import annotations

from dsmb_kit import DSMB, MEETINGS, SPONSOR, days_ago
from idempotency import assert_idempotent
from trial_factory import PASSWORD

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.dsmb.models import Meeting, Report, SignedRecommendation, SponsorResponse
from trialdesk.web.trials.models import DsmbRecommendation

RATIONALE = "More grade 4 events in one arm than expected; keep watching closely."
MEETING = {"date": days_ago(0).isoformat(), "kind": "ad_hoc", "cutoff": days_ago(1).isoformat()}


def test_a_retried_meeting_and_report_are_recorded_once(trial):
    dsmb = trial.api(DSMB)
    meeting = assert_idempotent(dsmb, MEETINGS, MEETING, counted=(Meeting,),
                                other_body={**MEETING, "kind": "scheduled"})
    report = assert_idempotent(dsmb, f"{MEETINGS}/{meeting['id']}/reports", {"kind": "open"},
                               counted=(Report,), key="report-key-01",
                               other_body={"kind": "closed"})
    assert Report.objects.get().pk == report["id"]


def test_a_retried_signature_and_response_are_recorded_once(trial):
    dsmb = trial.api(DSMB)
    meeting = dsmb.ok("POST", MEETINGS, MEETING)["id"]
    path = f"{MEETINGS}/{meeting}/recommendation"
    body = {"decision": "pause_enrollment", "rationale": RATIONALE, "password": PASSWORD}
    signed = assert_idempotent(dsmb, path, body, counted=(SignedRecommendation,),
                               other_body={**body, "decision": "continue"})
    assert SignedRecommendation.objects.count() == 1
    response = {"response": "accepted", "text": "Enrollment paused at all sites today."}
    assert_idempotent(trial.api(SPONSOR), f"/api/v1/dsmb/recommendations/{signed['id']}"
                      "/response", response, counted=(SponsorResponse,),
                      other_body={**response, "response": "not_accepted"})


def test_a_wrong_signing_password_with_a_key_is_still_audited_and_counted(trial):
    dsmb = trial.api(DSMB)
    meeting = dsmb.ok("POST", MEETINGS, MEETING)["id"]
    body = {"decision": "continue", "rationale": RATIONALE, "idempotency_key": "sign-key-0001"}
    path = f"{MEETINGS}/{meeting}/recommendation"
    for _ in range(5):
        wrong = dsmb.post(path, {**body, "password": "guess"})
        assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "password"
    assert AuditRecord.objects.filter(action="signature_password_failed").count() == 5
    locked = dsmb.post(path, {**body, "password": PASSWORD})
    assert locked.status_code == 409 and locked.json()["error"] == "signing_locked"
    assert not SignedRecommendation.objects.exists()


def test_a_retried_recorded_recommendation_is_recorded_once(trial):
    body = {"meeting_date": days_ago(0).isoformat(), "decision": "continue",
            "rationale": RATIONALE}
    assert_idempotent(trial.api(DSMB), "/api/v1/dsmb/recommendations", body,
                      counted=(DsmbRecommendation,),
                      other_body={**body, "decision": "stop_for_safety"})
