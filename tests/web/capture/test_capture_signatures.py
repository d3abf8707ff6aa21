"""Electronic signatures: password re-entry, stored meaning, voided by a later change."""

from __future__ import annotations

from capture_testkit import RESPIRATORY_OK, form_path
from trial_factory import PASSWORD

from trialdesk.web.capture.models import Signature
from trialdesk.web.trials.models import Randomization

INV = "investigator-co-01"
COORD = "coordinator-co-01"


def _kit(code: str) -> str:
    """The kit assigned to the participant: the only code the infusion form accepts (issue 18)."""
    return Randomization.objects.get(participant__code=code).slot.kit_code


def _complete(ct, code, form="respiratory", values=RESPIRATORY_OK):
    response = ct.api(COORD).put(form_path(code, form=form), {"values": values, "complete": True})
    assert response.status_code in (200, 201), response.content


def test_investigator_signs_with_password_and_the_meaning_is_stored(ct):
    code = ct.randomize()
    _complete(ct, code)
    inv = ct.api(INV)
    shown = inv.get(form_path(code)).json()["signature_meaning"]
    wrong = inv.post(form_path(code) + "/sign", {"password": "not the password"})
    assert wrong.status_code == 422
    assert wrong.json()["fields"][0]["field"] == "password"
    assert not Signature.objects.exists()
    signed = inv.post(form_path(code) + "/sign", {"password": PASSWORD})
    assert signed.status_code == 201, signed.content
    assert signed.json()["meaning"] == shown
    signature = Signature.objects.get()
    assert signature.meaning == shown and signature.signed_by.username == INV
    assert inv.get(form_path(code)).json()["status"] == "signed"


def test_signature_meaning_is_stored_in_the_signers_language(ct):
    code = ct.randomize()
    _complete(ct, code)
    inv = ct.api(INV)
    inv.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert inv.post(form_path(code) + "/sign", {"password": PASSWORD}).status_code == 201
    signature = Signature.objects.get()
    assert signature.language == "es"
    assert signature.meaning != ct.api(COORD).get(form_path(code)).json()["signature_meaning"]


def test_change_after_signing_voids_the_signature(ct):
    code = ct.randomize()
    _complete(ct, code)
    ct.api(INV).post(form_path(code) + "/sign", {"password": PASSWORD})
    response = ct.api(COORD).put(form_path(code), {
        "values": {**RESPIRATORY_OK, "peep": 12}, "complete": True, "reason": "late lab result"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "complete"
    assert body["signatures"][0]["voided_at"] is not None
    assert body["signatures"][0]["void_reason"] == "late lab result"
    # an unchanged save does not void anything
    ct.api(INV).post(form_path(code) + "/sign", {"password": PASSWORD})
    same = ct.api(COORD).put(form_path(code), {"values": {**RESPIRATORY_OK, "peep": 12},
                                               "complete": True})
    assert same.json()["status"] == "signed"


def test_only_complete_forms_are_signed_and_only_by_the_investigator(ct):
    code = ct.randomize()
    ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK})
    assert ct.api(INV).post(form_path(code) + "/sign",
                            {"password": PASSWORD}).status_code == 409
    _complete(ct, code)
    assert ct.api(COORD).post(form_path(code) + "/sign",
                              {"password": PASSWORD}).status_code == 403
    assert ct.api("investigator-co-02").post(form_path(code) + "/sign",
                                             {"password": PASSWORD}).status_code == 404


def test_investigator_signs_a_whole_visit_once_every_form_is_complete(ct):
    code = ct.randomize()
    vitals = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}
    _complete(ct, code, "vital_signs", vitals)
    sign = f"/api/v1/participants/{code}/visits/day1/sign"
    refused = ct.api(INV).post(sign, {"password": PASSWORD})
    assert refused.status_code == 409 and "infusion" in refused.json()["detail"]
    ct.api(COORD).put(form_path(code, "day1", "vital_signs"), {"values": vitals, "complete": True})
    ct.api(COORD).put(form_path(code, "day1", "infusion"), {"values": {
        "kit_code": _kit(code), "infusion_start": "2026-01-06T10:00",
        "infusion_end": "2026-01-06T11:00", "infusion_reaction": "no"}, "complete": True})
    signed = ct.api(INV).post(sign, {"password": PASSWORD})
    assert signed.status_code == 201, signed.content
    assert signed.json()["signed"] == 2
    schedule = ct.api(INV).get(f"/api/v1/participants/{code}/schedule").json()
    day1 = next(v for v in schedule["visits"] if v["visit"] == "day1")
    assert {f["status"] for f in day1["forms"]} == {"signed"}


def _complete_day1(ct, code):
    vitals = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}
    ct.api(COORD).put(form_path(code, "day1", "vital_signs"), {"values": vitals, "complete": True})
    response = ct.api(COORD).put(form_path(code, "day1", "infusion"), {"values": {
        "kit_code": _kit(code), "infusion_start": "2026-01-06T10:00",
        "infusion_end": "2026-01-06T11:00", "infusion_reaction": "no"}, "complete": True})
    assert response.status_code in (200, 201), response.content


def test_investigator_signs_several_visits_with_one_password_all_or_none(ct):
    from trialdesk.web.core.models import AuditRecord

    first, second, incomplete = ct.randomize(), ct.randomize(), ct.randomize()
    _complete_day1(ct, first)
    _complete_day1(ct, second)
    inv = ct.api(INV)
    batch = [{"participant": first, "visit": "day1"}, {"participant": second, "visit": "day1"}]
    # one visit not complete: nothing is signed, and the error names it
    refused = inv.post("/api/v1/signatures", {
        "password": PASSWORD, "visits": [*batch, {"participant": incomplete, "visit": "day1"}]})
    assert refused.status_code == 409, refused.content
    assert f"{incomplete}/day1" in refused.json()["detail"]
    assert not Signature.objects.exists()
    # a wrong password signs nothing and counts as a failed signing attempt
    wrong = inv.post("/api/v1/signatures", {"password": "not the password", "visits": batch})
    assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "password"
    assert not Signature.objects.exists()
    assert AuditRecord.objects.filter(action="signature_password_failed").count() == 1
    # another site's participant is not found, as if it did not exist
    other = inv.post("/api/v1/signatures", {"password": PASSWORD, "visits": [
        *batch, {"participant": "CO-02-999", "visit": "day1"}]})
    assert other.status_code == 404 and not Signature.objects.exists()
    # the coordinator cannot sign
    assert ct.api(COORD).post("/api/v1/signatures",
                              {"password": PASSWORD, "visits": batch}).status_code == 403
    signed = inv.post("/api/v1/signatures", {"password": PASSWORD, "visits": batch})
    assert signed.status_code == 201, signed.content
    assert signed.json()["signed"] == 4
    assert signed.json()["visits"] == [f"{first}/day1", f"{second}/day1"]
    # one signature and one audit record per form, as when signed one by one
    assert Signature.objects.count() == 4
    assert AuditRecord.objects.filter(action="sign_form").count() == 4
    for code in (first, second):
        schedule = inv.get(f"/api/v1/participants/{code}/schedule").json()
        day1 = next(v for v in schedule["visits"] if v["visit"] == "day1")
        assert {f["status"] for f in day1["forms"]} == {"signed"}
    empty = inv.post("/api/v1/signatures", {"password": PASSWORD, "visits": []})
    assert empty.status_code == 422
