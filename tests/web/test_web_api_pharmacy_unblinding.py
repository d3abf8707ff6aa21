"""Pharmacy (own site's kits, dispensing) and emergency unblinding through the API."""

from __future__ import annotations

from enrollment import enroll

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import AllocationSlot, Participant
from trialdesk.web.worker.runner import run_ready


def _randomized(trial, site="co-01"):
    investigator = trial.api(f"investigator-{site}")
    code = enroll(investigator)
    kit = investigator.post(f"/api/v1/participants/{code}/randomize", {}).json()["kit_code"]
    return code, kit


def test_pharmacist_sees_the_arm_of_an_own_site_kit(trial):
    _, kit = _randomized(trial)
    response = trial.api("pharmacist-co-01").get(f"/api/v1/kits/{kit}")
    assert response.status_code == 200
    assert response.json()["arm"] == AllocationSlot.objects.get(kit_code=kit).arm


def test_pharmacist_of_another_site_gets_404_for_the_kit(trial):
    _, kit = _randomized(trial)
    assert trial.api("pharmacist-co-02").get(f"/api/v1/kits/{kit}").status_code == 404
    assert trial.api("pharmacist-co-02").get("/api/v1/kits").json() == []


def test_blinded_roles_cannot_read_kits(trial):
    _, kit = _randomized(trial)
    for user in ("investigator-co-01", "coordinator-co-01", "monitor", "analyst", "admin"):
        assert trial.api(user).get(f"/api/v1/kits/{kit}").status_code == 404, user
        assert trial.api(user).get("/api/v1/kits").status_code == 403, user


def test_pharmacist_records_dispensing_once(trial):
    _, kit = _randomized(trial)
    pharmacist = trial.api("pharmacist-co-01")
    first = pharmacist.post(f"/api/v1/kits/{kit}/dispense", {"lot": "LOT-2026-01"})
    again = pharmacist.post(f"/api/v1/kits/{kit}/dispense", {"lot": "LOT-2026-01"})
    assert (first.status_code, again.status_code) == (201, 409)
    record = AuditRecord.objects.get(action="dispense")
    assert (record.actor, record.object_id) == ("pharmacist-co-01", kit)
    assert pharmacist.get("/api/v1/kits").json()[0]["lot"] == "LOT-2026-01"


def test_pharmacist_cannot_read_or_enter_participant_data(trial):
    code, _ = _randomized(trial)
    pharmacist = trial.api("pharmacist-co-01")
    assert pharmacist.get(f"/api/v1/participants/{code}").status_code == 404
    assert pharmacist.get("/api/v1/participants").status_code == 403
    assert pharmacist.post("/api/v1/participants", {"values": {}}).status_code == 403


def test_emergency_unblinding_shows_the_arm_to_the_requester_only(
    trial, mailoutbox, django_capture_on_commit_callbacks
):
    code, kit = _randomized(trial)
    investigator = trial.api("investigator-co-01")
    with django_capture_on_commit_callbacks(execute=True):
        response = investigator.post(f"/api/v1/participants/{code}/unblind",
                                     {"reason": "Anaphylaxis during infusion; physician asks"})
    assert response.status_code == 201
    arm = AllocationSlot.objects.get(kit_code=kit).arm
    assert response.json()["arm"] == arm
    assert investigator.get(f"/api/v1/participants/{code}").json()["arm"] == arm
    assert "arm" not in trial.api("coordinator-co-01").get(f"/api/v1/participants/{code}").json()
    assert Participant.objects.get(code=code).unblinded is True
    record = AuditRecord.objects.get(action="emergency_unblind")
    assert record.reason.startswith("Anaphylaxis") and arm not in str(record.changes)
    run_ready()  # the notifications are sent by tasks (issue 20), one per address
    assert all(code in m.subject and arm not in m.body for m in mailoutbox)
    assert sorted(a for m in mailoutbox for a in m.to) == ["dsmb@localhost", "sponsor@localhost"]
    events = trial.api("dsmb_statistician").get("/api/v1/unblinding-events").json()
    assert [e["participant"] for e in events] == [code]


def test_unblinding_needs_a_reason(trial):
    code, _ = _randomized(trial)
    response = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/unblind",
                                                    {"reason": "x"})
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "reason"
    assert not Participant.objects.get(code=code).unblinded


def test_unblinding_is_for_investigators_only(trial):
    code, _ = _randomized(trial)
    response = trial.api("coordinator-co-01").post(f"/api/v1/participants/{code}/unblind",
                                                   {"reason": "curious about the allocation"})
    assert response.status_code == 403


def test_dsmb_statistician_sees_arms_and_monitor_does_not(trial):
    code, kit = _randomized(trial)
    arm = AllocationSlot.objects.get(kit_code=kit).arm
    assert trial.api("dsmb_statistician").get(f"/api/v1/participants/{code}").json()["arm"] == arm
    assert "arm" not in trial.api("monitor").get(f"/api/v1/participants/{code}").json()


def test_audit_endpoint_is_for_monitor_and_admin(trial):
    _randomized(trial)
    assert trial.api("monitor").get("/api/v1/audit").status_code == 200
    assert trial.api("admin").get("/api/v1/audit").status_code == 200
    assert trial.api("investigator-co-01").get("/api/v1/audit").status_code == 403


def test_analyst_sees_coded_groups_of_the_dummy_allocation_without_arms(trial):
    from trialdesk.web.trials.analysis_groups import coded_group_labels, dummy_arm_by_participant

    randomized = [_randomized(trial) for _ in range(6)]
    body = trial.api("analyst").get("/api/v1/analysis/groups")
    assert body.status_code == 200
    groups = {row["participant"]: row["group"] for row in body.json()}
    assert {row["allocation"] for row in body.json()} == {"dummy"}
    assert set(groups.values()) <= {"group 1", "group 2"}
    # before the final unblinding the groups are the dummy allocation's, coded like the arms
    labels, dummy = coded_group_labels(), dummy_arm_by_participant()
    assert groups == {code: labels[dummy[code]] for code, _ in randomized}
    assert "msc" not in body.content.decode() and "standard" not in body.content.decode()
    assert trial.api("investigator-co-01").get("/api/v1/analysis/groups").status_code == 403
