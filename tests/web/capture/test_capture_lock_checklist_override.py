"""The two-person lock override: the data manager requests it (reason, password), the principal
investigator, another person, confirms it (password); every refusal leaves the stored data as it
was; each step is audited with the checklist it saw."""

from __future__ import annotations

import pytest
from capture_testkit import RESPIRATORY_OK, form_path
from lock_checklist_kit import capture_and_safety_checks  # noqa: F401  (a fixture)
from trial_factory import PASSWORD, protocol_in_use

from trialdesk.web.capture.models import FormInstance, Lock, LockOverride
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_policy

COORD, DM, PI = "coordinator-co-01", "data_manager", "principal_investigator"
OVERRIDES = "/api/v1/locks/overrides"
REASON = "Site closed: the missing forms cannot be obtained"


def _stored() -> dict:
    """What a refused step must leave as it was (audit records of wrong passwords aside)."""
    return {"locks": list(Lock.objects.values()), "overrides": list(LockOverride.objects.values()),
            "forms": list(FormInstance.objects.values()),
            "audit": list(AuditRecord.objects.exclude(action="signature_password_failed")
                          .values_list("seq", "action"))}


def _requested(ct, scope: dict | None = None) -> tuple[str, dict]:
    code = ct.randomize()
    ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    body = scope or {"scope": "participant", "participant": code}
    override = ct.api(DM).ok("POST", OVERRIDES, {**body, "reason": REASON, "password": PASSWORD})
    return code, override


# Under the tests' fixed source-data-verification seed (tests/conftest.py) the vital signs entered
# between the request and the confirmation are not sampled: a sampled form would be a new
# outstanding item (rightly refused: the data manager must request again), which this test is
# not about.
def test_the_override_locks_once_the_principal_investigator_confirms(ct):
    code, override = _requested(ct)
    assert override["status"] == "pending" and override["requested_by"] == DM
    assert override["requested_checklist"]["outstanding"] > 0
    assert not Lock.objects.exists()  # nothing locked on the request alone
    # the data is still open for entry meanwhile
    assert ct.api(COORD).put(form_path(code, form="vital_signs"), {"values": {
        "heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37}}
        ).status_code == 201
    confirmed = ct.api(PI).post(f"{OVERRIDES}/{override['id']}/confirm", {"password": PASSWORD})
    assert confirmed.status_code == 201, confirmed.content
    lock = Lock.objects.get()
    assert confirmed.json()["id"] == lock.pk and lock.participant.code == code
    assert lock.reason == REASON and lock.checklist["outstanding"] > 0
    stored = LockOverride.objects.get()
    assert stored.status == "applied" and stored.lock_id == lock.pk
    assert stored.decided_by.get_username() == PI
    # the lock keeps the checklist as confirmed: the form begun meanwhile is a draft now, listed
    # as missing at the request (the same item: progress, not a new problem)
    assert stored.confirmed_checklist == lock.checklist
    vitals = f"{code}/day0/vital_signs/1"
    assert vitals in [i["subject"] for c in stored.requested_checklist["checks"]
                      if c["code"] == "missing_forms" for i in c["items"]]
    assert vitals in [i["subject"] for c in lock.checklist["checks"]
                      if c["code"] == "incomplete_forms" for i in c["items"]]
    records = list(AuditRecord.objects.filter(action__in=(
        "request_lock_override", "lock", "confirm_lock_override")).order_by("seq"))
    assert [(r.action, r.actor) for r in records] == [
        ("request_lock_override", DM), ("lock", PI), ("confirm_lock_override", PI)]
    assert all(r.reason == REASON and r.object_id == code for r in records)
    assert records[0].changes["checklist"]["new"] == stored.requested_checklist
    assert records[1].changes["checklist"]["new"] == lock.checklist
    assert records[1].changes["override"]["new"] == {
        "id": stored.pk, "requested_by": DM, "confirmed_by": PI}
    assert records[2].changes["requested_by"]["new"] == DM
    # the data are locked now
    refused = ct.api(COORD).put(form_path(code, form="sofa"), {"values": {}})
    assert refused.status_code == 409


def test_a_wrong_password_is_refused_at_either_step_and_changes_nothing(ct):
    code = ct.randomize()
    ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    body = {"scope": "participant", "participant": code, "reason": REASON}
    before = _stored()
    for password in ("", "wrong horse battery staple"):
        refused = ct.api(DM).post(OVERRIDES, {**body, "password": password})
        assert refused.status_code == 422
        assert refused.json()["fields"][0]["field"] == "password"
    assert _stored() == before
    override = ct.api(DM).ok("POST", OVERRIDES, {**body, "password": PASSWORD})
    before = _stored()
    refused = ct.api(PI).post(f"{OVERRIDES}/{override['id']}/confirm", {"password": "nope"})
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "password"
    assert _stored() == before
    # each wrong password is audited (and throttled with the signing password's)
    assert AuditRecord.objects.filter(action="signature_password_failed").count() == 3


def test_the_requester_cannot_confirm_their_own_override(ct, settings, tmp_path):
    """One role that may both request and confirm (a protocol that grants both): the same person
    twice is refused; another person of that role confirms."""
    from trial_factory import create_user

    from trialdesk.protocol import default_protocol_path

    text = default_protocol_path().read_text()
    granted = text.replace('"lock", "blinded_export", "read"',
                           '"lock", "blinded_export", "read", "confirm_lock_override"', 1)
    assert granted != text, "the data manager's permissions changed in the bundled protocol"
    path = tmp_path / "both.toml"
    path.write_text(granted)
    with protocol_in_use(settings, path):
        assert get_policy().has_permission("data_manager", "confirm_lock_override")
        ct.users["data_manager-2"] = create_user("data_manager-2", "data_manager", None)
        _, override = _requested(ct)
        before = _stored()
        same = ct.api(DM).post(f"{OVERRIDES}/{override['id']}/confirm", {"password": PASSWORD})
        assert same.status_code == 409 and same.json()["error"] == "same_person"
        assert _stored() == before
        other = ct.api("data_manager-2").post(f"{OVERRIDES}/{override['id']}/confirm",
                                              {"password": PASSWORD})
        assert other.status_code == 201, other.content
        # the requester closing their own request withdraws it (declining is another's)
        _, again = _requested(ct)
        closed = ct.api(DM).ok("POST", f"{OVERRIDES}/{again['id']}/close",
                               {"reason": "Not needed after all"})
        assert closed["status"] == "withdrawn"


def test_only_the_principal_investigator_confirms_and_only_the_data_manager_requests(ct):
    _, override = _requested(ct)
    before = _stored()
    for username in (COORD, "investigator-co-01", "monitor", "dsmb_statistician", DM):
        answer = ct.api(username).post(f"{OVERRIDES}/{override['id']}/confirm",
                                       {"password": PASSWORD})
        assert answer.status_code in (403, 404), username
    for username in (PI, "investigator-co-01", "monitor"):
        answer = ct.api(username).post(OVERRIDES, {"scope": "database", "reason": REASON,
                                                   "password": PASSWORD})
        assert answer.status_code == 403, username
    assert _stored() == before


def test_items_that_appeared_after_the_request_refuse_the_confirmation(ct):
    code, override = _requested(ct)
    # a new query after the request: the PI did not see it listed
    ct.api(DM).ok("POST", form_path(code) + "/queries", {"field": "pao2", "text": "Check it"})
    before = _stored()
    answer = ct.api(PI).post(f"{OVERRIDES}/{override['id']}/confirm", {"password": PASSWORD})
    assert answer.status_code == 409 and answer.json()["error"] == "checklist_changed"
    assert "open_queries" in answer.json()["detail"]
    assert _stored() == before


def test_a_pending_override_is_declined_or_withdrawn_with_a_reason_and_is_then_closed(ct):
    code, override = _requested(ct)
    path = f"{OVERRIDES}/{override['id']}"
    before = _stored()
    assert ct.api(PI).post(path + "/close", {"reason": "short"}).status_code == 422
    assert _stored() == before
    declined = ct.api(PI).post(path + "/close", {"reason": "Chase the missing forms first"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert declined.json()["decided_by"] == PI
    closed = ct.api(PI).post(path + "/confirm", {"password": PASSWORD})
    assert closed.status_code == 409 and closed.json()["error"] == "override_closed"
    assert not Lock.objects.exists()
    # a new request for the same participant, withdrawn by the data manager
    again = ct.api(DM).ok("POST", OVERRIDES, {"scope": "participant", "participant": code,
                                              "reason": REASON, "password": PASSWORD})
    duplicate = ct.api(DM).post(OVERRIDES, {"scope": "participant", "participant": code,
                                            "reason": REASON, "password": PASSWORD})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "override_pending"
    withdrawn = ct.api(DM).ok("POST", f"{OVERRIDES}/{again['id']}/close",
                              {"reason": "The site found the forms after all"})
    assert withdrawn["status"] == "withdrawn"
    assert [r.action for r in AuditRecord.objects.filter(action__endswith="_lock_override")
            .order_by("seq")] == ["request_lock_override", "declined_lock_override",
                                  "request_lock_override", "withdrawn_lock_override"]
    listed = ct.api(PI).get(OVERRIDES, status="pending").json()
    assert listed == []


@pytest.mark.usefixtures("capture_and_safety_checks")
def test_a_clean_scope_needs_no_override(ct):
    code = ct.randomize()
    ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    ct.api("investigator-co-01").ok("POST", form_path(code) + "/sign", {"password": PASSWORD})
    body = {"scope": "form", "participant": code, "visit": "day0", "form": "respiratory"}
    answer = ct.api(DM).post(OVERRIDES, {**body, "reason": REASON, "password": PASSWORD})
    assert answer.status_code == 409 and answer.json()["error"] == "checklist_clean"
    assert ct.api(DM).post("/api/v1/locks", body).status_code == 201
