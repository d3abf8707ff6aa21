"""Issue 12: a lock, a lock override's request and its confirmation take an idempotency key
(``core.idempotency``): a retry answers the first answer and locks nothing again; a wrong
password with a key is audited and counted as without one."""

from __future__ import annotations

from capture_testkit import RESPIRATORY_OK, form_path
from idempotency import assert_idempotent
from trial_factory import PASSWORD

from trialdesk.web.capture.models import Lock, LockOverride
from trialdesk.web.core.models import AuditRecord

COORD, DM, PI = "coordinator-co-01", "data_manager", "principal_investigator"
OVERRIDES = "/api/v1/locks/overrides"
REASON = "Site closed: the missing forms cannot be obtained"


def test_a_retried_override_request_and_confirmation_lock_once(ct):
    code = ct.randomize()
    ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    body = {"scope": "participant", "participant": code, "reason": REASON, "password": PASSWORD}
    override = assert_idempotent(ct.api(DM), OVERRIDES, body, counted=(LockOverride, Lock),
                                 other_body={**body, "reason": "Another reason to lock it"})
    assert_idempotent(ct.api(PI), f"{OVERRIDES}/{override['id']}/confirm",
                      {"password": PASSWORD}, counted=(LockOverride, Lock),
                      key="confirm-key-01")
    assert Lock.objects.count() == 1


def test_a_wrong_password_with_a_key_is_audited_and_counted(ct):
    code = ct.randomize()
    body = {"scope": "participant", "participant": code, "reason": REASON,
            "idempotency_key": "override-key-1"}
    refused = ct.api(DM).post(OVERRIDES, {**body, "password": "wrong horse battery staple"})
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "password"
    assert AuditRecord.objects.filter(action="signature_password_failed").count() == 1
    assert not LockOverride.objects.exists()


def test_a_retried_lock_locks_once(ct):
    # no participant yet: the database's checklist has nothing outstanding
    body = {"scope": "database", "reason": "interim lock for the DSMB"}
    assert_idempotent(ct.api(DM), "/api/v1/locks", body, counted=(Lock,), key="lock-key-0001",
                      other_body={**body, "reason": "another reason"})
    assert Lock.objects.count() == 1
