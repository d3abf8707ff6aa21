"""Wrong passwords at signing: audited, and after five in 15 minutes signing is locked."""

from __future__ import annotations

import datetime as dt

from capture_testkit import RESPIRATORY_OK, form_path, page_path
from login import login_page_client
from trial_factory import PASSWORD

from trialdesk.web.capture.actions import signatures
from trialdesk.web.capture.models import Signature
from trialdesk.web.core import clock
from trialdesk.web.core.models import AuditRecord

INV = "investigator-co-01"


def _complete(ct, code):
    response = ct.api("coordinator-co-01").put(form_path(code),
                                               {"values": RESPIRATORY_OK, "complete": True})
    assert response.status_code == 201, response.content


def _fail(client, code, times):
    for _ in range(times):
        assert client.post(form_path(code) + "/sign",
                           {"password": "a guess"}).status_code == 422


def test_five_wrong_passwords_lock_signing_even_with_the_right_one(ct):
    code = ct.randomize()
    _complete(ct, code)
    inv = ct.api(INV)
    _fail(inv, code, 5)
    refused = inv.post(form_path(code) + "/sign", {"password": PASSWORD})
    assert refused.status_code == 409 and refused.json()["error"] == "signing_locked"
    assert not Signature.objects.exists()
    failed = AuditRecord.objects.filter(action="signature_password_failed")
    assert [(r.actor, r.object_id) for r in failed] == [(INV, f"{code}/day0/respiratory/1")] * 5
    assert AuditRecord.objects.filter(action="signature_refused_locked", actor=INV).count() == 1
    # the visit signature is throttled alike
    visit = inv.post(f"/api/v1/participants/{code}/visits/day0/sign", {"password": PASSWORD})
    assert visit.status_code == 409 and visit.json()["error"] == "signing_locked"


def test_four_wrong_passwords_do_not_lock_and_a_signature_clears_them(ct):
    first, second = ct.randomize(), ct.randomize()
    _complete(ct, first)
    _complete(ct, second)
    inv = ct.api(INV)
    _fail(inv, first, 4)
    assert inv.post(form_path(first) + "/sign", {"password": PASSWORD}).status_code == 201
    _fail(inv, second, 4)
    assert inv.post(form_path(second) + "/sign", {"password": PASSWORD}).status_code == 201


def test_the_lock_is_per_signer_and_ends_after_the_window(ct, monkeypatch):
    code = ct.randomize()
    other = ct.randomize("co-02")
    _complete(ct, code)
    ct.api("coordinator-co-02").put(form_path(other), {"values": RESPIRATORY_OK,
                                                        "complete": True})
    inv = ct.api(INV)
    _fail(inv, code, 5)
    assert ct.api("investigator-co-02").post(form_path(other) + "/sign",
                                             {"password": PASSWORD}).status_code == 201
    later = clock.now() + signatures.FAILURE_WINDOW + dt.timedelta(seconds=1)
    with clock.use_clock(clock.SimulatedClock(later)):
        assert inv.post(form_path(code) + "/sign", {"password": PASSWORD}).status_code == 201


def test_the_signature_page_is_throttled_too(ct):
    code = ct.randomize()
    _complete(ct, code)
    page = login_page_client(INV)
    for _ in range(5):
        assert page.post(page_path(code) + "sign/", {"password": "a guess"}).status_code == 422
    refused = page.post(page_path(code) + "sign/", {"password": PASSWORD})
    assert refused.status_code == 409
    assert 'data-reason="signing_locked"' in refused.content.decode()
    assert not Signature.objects.exists()
