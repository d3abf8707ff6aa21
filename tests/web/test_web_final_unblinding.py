"""Final unblinding after database lock: the data manager asks, the DSMB statistician approves."""

from __future__ import annotations

import pytest
from enrollment import enroll
from lock_override import lock_database
from login import login_page_client

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import AllocationSlot, FinalUnblinding
from trialdesk.web.worker.runner import run_ready

REASON = "Database locked on 2026-03-01; final analysis per the SAP"


@pytest.fixture
def randomized(trial):
    investigator = trial.api("investigator-co-01")
    kits = {}
    for _ in range(4):
        code = enroll(investigator)
        kits[code] = investigator.post(f"/api/v1/participants/{code}/randomize", {}).json()[
            "kit_code"]
    return trial, {code: AllocationSlot.objects.get(kit_code=kit).arm for code, kit in kits.items()}


def _lock(trial):
    response = lock_database(trial.users)
    assert response.status_code == 201, response.content


def test_final_unblinding_is_refused_before_database_lock(randomized):
    trial, _ = randomized
    response = trial.api("data_manager").post("/api/v1/final-unblinding", {"reason": REASON})
    assert response.status_code == 409 and response.json()["error"] == "database_not_locked"
    assert not FinalUnblinding.objects.exists()


def test_only_the_data_manager_requests_and_only_the_dsmb_statistician_approves(randomized):
    trial, _ = randomized
    _lock(trial)
    for username in ("dsmb_statistician", "analyst", "investigator-co-01", "admin", "monitor"):
        response = trial.api(username).post("/api/v1/final-unblinding", {"reason": REASON})
        assert response.status_code == 403, username
    approve = trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve",
                                                  {"reason": REASON})
    assert approve.status_code == 409 and approve.json()["error"] == "no_request"
    assert trial.api("data_manager").post("/api/v1/final-unblinding",
                                          {"reason": REASON}).status_code == 201
    for username in ("data_manager", "analyst", "admin"):
        response = trial.api(username).post("/api/v1/final-unblinding/approve",
                                            {"reason": REASON})
        assert response.status_code == 403, username
    assert not FinalUnblinding.trial_unblinded()


def test_approved_final_unblinding_opens_the_arms_to_the_analyst_only(
    randomized, mailoutbox, django_capture_on_commit_callbacks
):
    trial, arms = randomized
    analyst = trial.api("analyst")
    assert all("arm" not in row for row in analyst.get("/api/v1/analysis/groups").json())
    _lock(trial)
    with django_capture_on_commit_callbacks(execute=True):
        requested = trial.api("data_manager").post("/api/v1/final-unblinding",
                                                   {"reason": REASON})
    assert requested.status_code == 201 and requested.json()["state"] == "requested"
    # requested is not yet approved: still blinded
    assert analyst.get("/api/v1/analysis/group-mapping").status_code == 409
    code = next(iter(arms))
    assert "arm" not in analyst.get(f"/api/v1/participants/{code}").json()
    with django_capture_on_commit_callbacks(execute=True):
        approved = trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve",
                                                       {"reason": "DSMB agrees: data are final"})
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "unblinded"
    assert approved.json()["approved_by"] == "dsmb_statistician"
    groups = analyst.get("/api/v1/analysis/groups").json()
    assert {row["participant"]: row["arm"] for row in groups} == arms
    mapping = {m["group"]: m["arm"]
               for m in analyst.get("/api/v1/analysis/group-mapping").json()["mapping"]}
    assert all(mapping[row["group"]] == row["arm"] for row in groups)
    assert analyst.get(f"/api/v1/participants/{code}").json()["arm"] == arms[code]
    for blinded in ("investigator-co-01", "monitor", "data_manager"):
        assert "arm" not in trial.api(blinded).get(f"/api/v1/participants/{code}").json()
    records = list(AuditRecord.objects.filter(
        action__in=("request_final_unblinding", "final_unblind")).order_by("seq"))
    assert [(r.action, r.actor, r.reason) for r in records] == [
        ("request_final_unblinding", "data_manager", REASON),
        ("final_unblind", "dsmb_statistician", "DSMB agrees: data are final")]
    run_ready()  # sent by tasks (issue 20), one e-mail per address
    assert [m.subject for m in mailoutbox][::2] == [
        "[trialdesk] Final unblinding requested",
        "[trialdesk] Trial unblinded for the final analysis"]
    assert sorted(a for m in mailoutbox for a in m.to) == [
        "dsmb@localhost", "dsmb@localhost", "sponsor@localhost", "sponsor@localhost"]
    assert not any(arm in m.body for m in mailoutbox for arm in ("msc", "standard"))
    again = trial.api("data_manager").post("/api/v1/final-unblinding", {"reason": REASON})
    assert again.status_code == 409 and again.json()["error"] == "already_unblinded"


def test_the_pages_carry_the_request_and_the_approval(randomized):
    trial, _ = randomized
    manager = login_page_client("data_manager")
    dsmb = login_page_client("dsmb_statistician")
    refused = manager.post("/final-unblinding/", {"reason": REASON})
    assert refused.status_code == 409
    assert 'data-reason="database_not_locked"' in refused.content.decode()
    _lock(trial)
    assert manager.post("/final-unblinding/", {"reason": REASON}).status_code == 302
    page = dsmb.get("/final-unblinding/").content.decode()
    assert 'data-state="requested"' in page and REASON in page
    approval = {"reason": "DSMB agrees: data are final"}
    assert dsmb.post("/final-unblinding/", approval).status_code == 302
    analyst = login_page_client("analyst")
    assert 'data-state="unblinded"' in analyst.get("/final-unblinding/").content.decode()


def test_the_database_stays_locked_after_the_final_unblinding(randomized):
    trial, _ = randomized
    from trialdesk.web.capture.models import Lock

    _lock(trial)
    trial.api("data_manager").post("/api/v1/final-unblinding", {"reason": REASON})
    trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve", {"reason": REASON})
    lock = Lock.objects.get(scope=Lock.DATABASE)
    response = trial.api("data_manager").post(f"/api/v1/locks/{lock.pk}/unlock",
                                              {"reason": "one more correction"})
    assert response.status_code == 409 and response.json()["error"] == "trial_unblinded"
    assert Lock.objects.get(pk=lock.pk).unlocked_at is None
