"""Randomization through the API: number and kit code, never the arm; retries; conflicts."""

from __future__ import annotations

from eligible import ELIGIBLE_VALUES
from enrollment import enroll, screen

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import AllocationSlot, RestrictedAllocationLog


def test_randomize_returns_number_and_kit_code_but_no_arm(trial):
    investigator = trial.api("investigator-co-01")
    code = enroll(investigator)
    response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"participant", "randomization_number", "kit_code", "randomized_at",
                         "repeated"}
    slot = AllocationSlot.objects.get(kit_code=body["kit_code"])
    assert slot.used and slot.stratum == "site=CO-01|ards_severity=severe"
    assert slot.arm not in response.content.decode()


def test_randomize_takes_the_first_free_slot_of_the_stratum_in_list_order(trial):
    investigator = trial.api("investigator-co-02")
    kits = []
    for _ in range(4):
        code = enroll(investigator)
        response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
        kits.append(response.json()["kit_code"])
    expected = AllocationSlot.objects.filter(
        stratum="site=CO-02|ards_severity=severe").order_by("sequence")[:4]
    assert kits == [slot.kit_code for slot in expected]


def test_retry_with_same_idempotency_key_returns_the_first_result(trial):
    investigator = trial.api("investigator-co-01")
    code = enroll(investigator)
    first = investigator.post(f"/api/v1/participants/{code}/randomize",
                              {"idempotency_key": "retry-key-0001"})
    again = investigator.post(f"/api/v1/participants/{code}/randomize",
                              {"idempotency_key": "retry-key-0001"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["kit_code"] == again.json()["kit_code"]
    assert again.json()["repeated"] is True
    assert AllocationSlot.objects.filter(used=True).count() == 1


def test_idempotency_key_header_is_honoured(trial):
    investigator = trial.api("investigator-co-01")
    code = enroll(investigator)
    first = investigator.post(f"/api/v1/participants/{code}/randomize", {},
                              headers={"Idempotency-Key": "header-key-01"})
    again = investigator.post(f"/api/v1/participants/{code}/randomize", {},
                              headers={"Idempotency-Key": "header-key-01"})
    assert again.status_code == 200 and again.json()["kit_code"] == first.json()["kit_code"]


def test_randomizing_twice_without_key_is_409_already_randomized(trial):
    investigator = trial.api("investigator-co-01")
    code = enroll(investigator)
    investigator.post(f"/api/v1/participants/{code}/randomize", {})
    response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 409
    assert response.json()["error"] == "already_randomized"
    assert AllocationSlot.objects.filter(used=True).count() == 1


def test_randomizing_an_ineligible_participant_is_409_with_the_reason(trial):
    investigator = trial.api("investigator-co-01")
    code = screen(investigator, {**ELIGIBLE_VALUES, "age": 16})["code"]
    response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 409
    assert response.json()["error"] == "ineligible"
    assert "adult" in response.json()["detail"]


def test_randomizing_an_unconsented_participant_is_409(trial):
    investigator = trial.api("investigator-co-01")
    code = screen(investigator)["code"]
    response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 409
    assert response.json()["error"] == "unconsented"
    assert not AllocationSlot.objects.filter(used=True).exists()


def test_randomization_is_audited_without_arm_and_the_arm_goes_to_the_restricted_log(trial):
    investigator = trial.api("investigator-co-01")
    code = enroll(investigator)
    kit = investigator.post(f"/api/v1/participants/{code}/randomize", {}).json()["kit_code"]
    record = AuditRecord.objects.get(action="randomize")
    slot = AllocationSlot.objects.get(kit_code=kit)
    assert record.object_id == code and record.actor == "investigator-co-01"
    assert slot.arm not in str(record.changes)
    restricted = RestrictedAllocationLog.objects.get(participant_code=code)
    assert (restricted.arm, restricted.kit_code) == (slot.arm, kit)


def test_coordinator_may_not_randomize(trial):
    coordinator = trial.api("coordinator-co-01")
    code = enroll(coordinator)
    response = coordinator.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 403


def test_investigator_of_another_site_gets_404_as_for_a_missing_participant(trial):
    code = enroll(trial.api("investigator-co-01"))
    other = trial.api("investigator-co-02")
    response = other.post(f"/api/v1/participants/{code}/randomize", {})
    missing = other.post("/api/v1/participants/CO-01-9999/randomize", {})
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
