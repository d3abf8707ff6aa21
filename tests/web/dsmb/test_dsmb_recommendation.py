"""Issue 15, DSMB: the recommendation is signed electronically (the password re-entered, wrong
ones throttled as for investigators' signatures) by the DSMB only; the sponsor's safety contact
records the response; both audited, the rationale kept out of the trail."""

from __future__ import annotations

from dsmb_kit import DSMB, INVESTIGATOR, MEETINGS, SPONSOR, days_ago
from trial_factory import PASSWORD

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.dsmb.models import SignedRecommendation, SponsorResponse

RATIONALE = "More grade 4 events in one arm than expected; keep watching closely."


def _meeting(trial) -> int:
    return trial.api(DSMB).ok("POST", MEETINGS, {
        "date": days_ago(0).isoformat(), "kind": "ad_hoc",
        "cutoff": days_ago(1).isoformat()})["id"]


def test_the_recommendation_needs_the_signers_password_and_the_dsmb_role(trial):
    meeting = _meeting(trial)
    path = f"{MEETINGS}/{meeting}/recommendation"
    body = {"decision": "continue_with_modifications", "rationale": RATIONALE}
    api = trial.api(DSMB)
    wrong = api.post(path, {**body, "password": "not the password"})
    assert wrong.status_code == 422
    assert wrong.json()["fields"][0]["field"] == "password"
    assert not SignedRecommendation.objects.exists()
    assert AuditRecord.objects.filter(actor=DSMB, action="signature_password_failed").count() == 1
    # other roles may not sign, whatever their password
    for username in (SPONSOR, INVESTIGATOR, "admin"):
        refused = trial.api(username).post(path, {**body, "password": PASSWORD})
        assert refused.status_code == 403, username
    signed = api.ok("POST", path, {**body, "password": PASSWORD})
    assert signed["decision"] == "continue_with_modifications"
    assert signed["signed_by"] == DSMB and "legally binding" in signed["meaning"]
    record = AuditRecord.objects.get(action="sign_dsmb_recommendation")
    assert record.actor == DSMB and record.changes["decision"]["new"] == body["decision"]
    assert RATIONALE not in str(record.changes) and RATIONALE not in record.reason
    # the sponsor reads the decision, not the rationale
    seen = trial.api(SPONSOR).ok("GET", f"{MEETINGS}/{meeting}")["recommendations"]
    assert [r["decision"] for r in seen] == ["continue_with_modifications"]
    assert "rationale" not in seen[0]


def test_too_many_wrong_passwords_lock_signing(trial):
    meeting = _meeting(trial)
    path = f"{MEETINGS}/{meeting}/recommendation"
    body = {"decision": "continue", "rationale": RATIONALE}
    api = trial.api(DSMB)
    for _ in range(5):
        assert api.post(path, {**body, "password": "guess"}).status_code == 422
    locked = api.post(path, {**body, "password": PASSWORD})
    assert locked.status_code == 409 and locked.json()["error"] == "signing_locked"


def test_the_sponsor_responds_once(trial):
    meeting = _meeting(trial)
    signed = trial.api(DSMB).ok("POST", f"{MEETINGS}/{meeting}/recommendation", {
        "decision": "pause_enrollment", "rationale": RATIONALE, "password": PASSWORD})
    path = f"/api/v1/dsmb/recommendations/{signed['id']}/response"
    body = {"response": "accepted", "text": "Enrollment paused at all sites today."}
    for username in (DSMB, INVESTIGATOR, "admin"):
        assert trial.api(username).post(path, body).status_code == 403, username
    answered = trial.api(SPONSOR).ok("POST", path, body)
    assert answered["response"]["response"] == "accepted"
    assert answered["response"]["by"] == SPONSOR
    assert trial.api(SPONSOR).post(path, body).status_code == 409
    assert SponsorResponse.objects.count() == 1
    record = AuditRecord.objects.get(action="respond_dsmb_recommendation")
    assert record.actor == SPONSOR and record.object_id == str(signed["id"])
