"""Issue 12: signing takes an idempotency key (``core.idempotency``): a retried signature of a
form, of a visit or of a signing session answers the first answer and signs nothing again; the
password is still checked on every request, and a wrong one with a key is audited and counted
as without one."""

from __future__ import annotations

from capture_testkit import RESPIRATORY_OK, form_path
from idempotency import assert_idempotent
from trial_factory import PASSWORD

from trialdesk.web.capture.models import Signature
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Randomization

INV, COORD = "investigator-co-01", "coordinator-co-01"
VITALS = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}


def _complete(ct, code: str, visit: str, form: str, values: dict) -> None:
    response = ct.api(COORD).put(form_path(code, visit, form), {"values": values,
                                                                "complete": True})
    assert response.status_code in (200, 201), response.content


def _complete_day1(ct, code: str) -> None:
    kit = Randomization.objects.get(participant__code=code).slot.kit_code
    _complete(ct, code, "day1", "vital_signs", VITALS)
    _complete(ct, code, "day1", "infusion", {
        "kit_code": kit, "infusion_start": "2026-01-06T10:00",
        "infusion_end": "2026-01-06T11:00", "infusion_reaction": "no"})


def test_a_retried_form_signature_signs_once(ct):
    code = ct.randomize()
    _complete(ct, code, "day0", "respiratory", RESPIRATORY_OK)
    signed = assert_idempotent(ct.api(INV), form_path(code) + "/sign", {"password": PASSWORD},
                               counted=(Signature,))
    assert signed["form"].startswith(code) and Signature.objects.count() == 1


def test_a_retried_visit_signature_and_session_sign_once(ct):
    first, second = ct.randomize(), ct.randomize()
    _complete_day1(ct, first)
    _complete_day1(ct, second)
    inv = ct.api(INV)
    assert_idempotent(inv, f"/api/v1/participants/{first}/visits/day1/sign",
                      {"password": PASSWORD}, counted=(Signature,), key="visit-sign-01")
    assert Signature.objects.count() == 2
    session = {"password": PASSWORD, "visits": [{"participant": second, "visit": "day1"}]}
    assert_idempotent(inv, "/api/v1/signatures", session, counted=(Signature,),
                      key="session-sign-1",
                      other_body={**session, "visits": [{"participant": first,
                                                         "visit": "day1"}]})
    assert Signature.objects.count() == 4


def test_a_wrong_password_with_a_key_is_audited_counted_and_the_key_left_free(ct):
    code = ct.randomize()
    _complete(ct, code, "day0", "respiratory", RESPIRATORY_OK)
    inv = ct.api(INV)
    body = {"idempotency_key": "sign-key-0001"}
    for path in (form_path(code) + "/sign", f"/api/v1/participants/{code}/visits/day0/sign"):
        wrong = inv.post(path, {**body, "password": "not the password"})
        assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "password"
    wrong = inv.post("/api/v1/signatures", {**body, "password": "not the password",
                                            "visits": [{"participant": code, "visit": "day0"}]})
    assert wrong.status_code == 422, wrong.content
    assert AuditRecord.objects.filter(action="signature_password_failed").count() == 3
    signed = inv.post(form_path(code) + "/sign", {**body, "password": PASSWORD})
    assert signed.status_code == 201, signed.content
    # a replay needs the password too
    replay = inv.post(form_path(code) + "/sign", {**body, "password": "not the password"})
    assert replay.status_code == 422
    assert AuditRecord.objects.filter(action="signature_password_failed").count() == 4
