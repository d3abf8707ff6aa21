"""The signing session of form entries (a repeating form's later entries included): one password
entry for the series (21 CFR 11.200(a)(1)(i)), each form its own signature and audit record,
all or none."""

from __future__ import annotations

import datetime as dt

import pytest
from capture_testkit import RESPIRATORY_OK, form_path
from django.contrib.auth.models import User
from faults import fail_audit_anchor_at
from trial_factory import PASSWORD

from trialdesk.web.capture.actions import do_sign_forms
from trialdesk.web.capture.models import FormInstance, Lock, Signature
from trialdesk.web.core import clock
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Randomization

COORD = "coordinator-co-01"
INV = "investigator-co-01"


@pytest.fixture
def password_checks(monkeypatch):
    """Count the signers' password checks (each a deliberately slow hash)."""
    checks = []
    original = User.check_password

    def counted(user, raw):
        checks.append(user.username)
        return original(user, raw)

    monkeypatch.setattr(User, "check_password", counted)
    return checks


def _at(code: str, day: int) -> str:
    start = Randomization.objects.get(participant__code=code).randomized_at.date()
    return f"{start + dt.timedelta(days=day)}T10:00"


def _episodes(ct, code: str, count: int, *, first: int = 1, complete: bool = True) -> list[dict]:
    """Ventilation episodes first..count (a repeating form), each a form entry to sign."""
    refs = []
    for seq in range(first, count + 1):
        values = {"ventilation_start": _at(code, 2 * seq - 2), "ventilation_stop":
                  _at(code, 2 * seq - 1), "ventilation_episode_mode": "ett"}
        response = ct.api(COORD).put(form_path(code, "log", "ventilation_episode") + f"?seq={seq}",
                                     {"values": values, "complete": complete})
        assert response.status_code == 201, response.content
        refs.append({"participant": code, "visit": "log", "form": "ventilation_episode",
                     "seq": seq})
    return refs


def _respiratory(ct, code: str) -> dict:
    response = ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    assert response.status_code == 201, response.content
    return {"participant": code, "visit": "day0", "form": "respiratory"}


def _key(ref: dict) -> str:
    return f"{ref['participant']}/{ref['visit']}/{ref['form']}/{ref.get('seq', 1)}"


def test_one_password_entry_signs_every_entry_each_with_its_signature_and_audit(
        ct, password_checks):
    first, second = ct.randomize(days_ago=30), ct.randomize(days_ago=30)
    refs = [*_episodes(ct, first, 3), _respiratory(ct, first), *_episodes(ct, second, 2)]
    password_checks.clear()
    signed = ct.api(INV).post("/api/v1/signatures", {"password": PASSWORD, "forms": refs})
    assert signed.status_code == 201, signed.content
    assert signed.json()["signed"] == 6 and signed.json()["forms"] == [_key(r) for r in refs]
    assert password_checks == [INV]  # one password check for the six forms
    signatures = Signature.objects.select_related("form_instance__participant", "signed_by")
    assert sorted(s.form_instance.key for s in signatures) == sorted(_key(r) for r in refs)
    assert {s.signed_by.username for s in signatures} == {INV}
    assert {s.meaning for s in signatures} == {signed.json()["meaning"]}
    audited = AuditRecord.objects.filter(action="sign_form")
    assert sorted(r.object_id for r in audited) == sorted(_key(r) for r in refs)
    assert {r.actor for r in audited} == {INV}
    assert all(r.changes["signed"] == {"old": False, "new": True} for r in audited)
    assert not FormInstance.objects.filter(signed=False).exists()
    # visits and entries in one session; what is already signed stays as it is
    vitals = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}
    ct.api(COORD).put(form_path(first, "day1", "vital_signs"), {"values": vitals,
                                                                "complete": True})
    visit_form = {"participant": first, "visit": "day1", "form": "vital_signs"}
    again = ct.api(INV).post("/api/v1/signatures", {"password": PASSWORD,
                                                    "forms": [*refs, visit_form]})
    assert again.status_code == 201 and again.json()["signed"] == 1
    assert Signature.objects.count() == 7


def test_one_entry_incomplete_or_locked_signs_nothing_and_is_named(ct):
    code = ct.randomize(days_ago=30)
    refs = [*_episodes(ct, code, 2), _respiratory(ct, code)]
    draft = _episodes(ct, code, 3, first=3, complete=False)[0]  # episode 3 saved as a draft
    inv = ct.api(INV)
    refused = inv.post("/api/v1/signatures", {"password": PASSWORD, "forms": [*refs, draft]})
    assert refused.status_code == 409 and refused.json()["error"] == "not_complete"
    assert _key(draft) in refused.json()["detail"]
    assert not Signature.objects.exists()
    assert not AuditRecord.objects.filter(action="sign_form").exists()
    FormInstance.objects.filter(form="respiratory").update(locked=True)  # (as a form lock does)
    refused = inv.post("/api/v1/signatures", {"password": PASSWORD, "forms": refs})
    assert refused.status_code == 409 and refused.json()["error"] == "form_locked"
    assert _key(refs[-1]) in refused.json()["detail"]
    assert not Signature.objects.exists() and not FormInstance.objects.filter(signed=True).exists()


def test_a_participant_lock_refuses_the_whole_session(ct):
    code, other = ct.randomize(days_ago=30), ct.randomize(days_ago=30)
    refs = [*_episodes(ct, code, 1), *_episodes(ct, other, 2)]
    Lock.objects.create(scope=Lock.PARTICIPANT, participant=FormInstance.objects.filter(
        participant__code=other).first().participant, locked_at=clock.now(),
        locked_by=User.objects.get(username="data_manager"), reason="reviewed")
    refused = ct.api(INV).post("/api/v1/signatures", {"password": PASSWORD, "forms": refs})
    assert refused.status_code == 409 and refused.json()["error"] == "participant_locked"
    assert other in refused.json()["detail"] and not Signature.objects.exists()


def test_wrong_password_signs_nothing_and_is_counted(ct, password_checks):
    code = ct.randomize(days_ago=30)
    refs = _episodes(ct, code, 3)
    password_checks.clear()
    wrong = ct.api(INV).post("/api/v1/signatures", {"password": "a guess", "forms": refs})
    assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "password"
    assert password_checks == [INV]
    assert not Signature.objects.exists() and not FormInstance.objects.filter(signed=True).exists()
    failed = AuditRecord.objects.get(action="signature_password_failed")
    assert failed.actor == INV and _key(refs[0]) in failed.object_id


def test_only_the_sites_investigator_signs_and_only_entries_that_exist(ct):
    code = ct.randomize(days_ago=30)
    refs = _episodes(ct, code, 1)
    body = {"password": PASSWORD, "forms": refs}
    assert ct.api(COORD).post("/api/v1/signatures", body).status_code == 403
    assert ct.api("investigator-co-02").post("/api/v1/signatures", body).status_code == 404
    missing = {**refs[0], "seq": 2}  # nothing entered there yet
    assert ct.api(INV).post("/api/v1/signatures", {
        "password": PASSWORD, "forms": [*refs, missing]}).status_code == 404
    not_repeating = {"participant": code, "visit": "day0", "form": "respiratory", "seq": 2}
    assert ct.api(INV).post("/api/v1/signatures", {
        "password": PASSWORD, "forms": [not_repeating]}).status_code == 404
    assert ct.api(INV).post("/api/v1/signatures", {"password": PASSWORD}).status_code == 422
    assert ct.api(INV).post("/api/v1/signatures", {
        "password": PASSWORD, "forms": [{**refs[0], "seq": 0}]}).status_code == 422
    assert not Signature.objects.exists()


def test_the_action_checks_the_password_once_and_refuses_an_empty_session(ct, password_checks):
    code = ct.randomize(days_ago=30)
    _episodes(ct, code, 4)
    investigator = actor_for(User.objects.get(username=INV))
    entries = list(FormInstance.objects.filter(participant__code=code))
    password_checks.clear()
    signatures = do_sign_forms(investigator, entries, password=PASSWORD)
    assert len(signatures) == 4 and password_checks == [INV]
    with pytest.raises(InvalidInput):
        do_sign_forms(investigator, [], password=PASSWORD)
    FormInstance.objects.filter(seq=4).update(status="draft")
    with pytest.raises(Conflict):
        do_sign_forms(investigator, entries, password=PASSWORD)


def _signing_trail(code: str, since: int) -> list[tuple]:
    """The sign_form audit records of ``code``'s entries after ``since``, its code left out (so
    that two participants' sessions compare), in the order they were written."""
    return [(r.action, r.actor, r.object_id.removeprefix(code), r.changes, r.reason)
            for r in AuditRecord.objects.filter(seq__gt=since, object_id__startswith=code)
            .order_by("seq")]


def _signatures(code: str) -> list[tuple]:
    return [(s.form_instance.key.removeprefix(code), s.signed_by.username, s.meaning, s.language,
             s.form_version) for s in Signature.objects.select_related(
                 "form_instance__participant", "signed_by").filter(
                 form_instance__participant__code=code).order_by("pk")]


def test_a_session_stores_and_audits_each_entry_as_signing_one_by_one(ct):
    """Issue 13: the session sets the entries' signed flags in one UPDATE; each entry still gets
    its signature, its post_save (the DSMB's receiver listens) and its audit record, in order."""
    from django.db.models.signals import post_save

    from trialdesk.web.capture.actions import do_sign

    one, together = ct.randomize(days_ago=30), ct.randomize(days_ago=30)
    for code in (one, together):
        _episodes(ct, code, 3)
        _respiratory(ct, code)
    investigator = actor_for(User.objects.get(username=INV))
    head = AuditRecord.objects.order_by("-seq").first().seq
    saved = []

    def listen(sender, instance, update_fields=None, **_):
        saved.append((instance.key.split("/", 1)[1], update_fields))

    post_save.connect(listen, sender=FormInstance, dispatch_uid="test_signing_session")
    try:
        for entry in FormInstance.objects.filter(participant__code=one).order_by("pk"):
            do_sign(investigator, entry, password=PASSWORD)
        by_one, saved[:] = list(saved), []
        do_sign_forms(investigator, list(FormInstance.objects.filter(
            participant__code=together).order_by("pk")), password=PASSWORD)
    finally:
        post_save.disconnect(sender=FormInstance, dispatch_uid="test_signing_session")
    assert [(key, set(fields)) for key, fields in saved] == [
        (key, set(fields)) for key, fields in by_one] and len(saved) == 4
    assert _signing_trail(together, head) == _signing_trail(one, head)
    assert len(_signing_trail(one, head)) == 4
    assert _signatures(together) == _signatures(one)
    assert not FormInstance.objects.filter(signed=False).exists()


def test_a_fault_in_the_session_leaves_nothing_signed(ct, monkeypatch):
    """One transaction: the flags set by the session's UPDATE, the first entries' signatures and
    audit records all go with a fault at a later entry."""
    code = ct.randomize(days_ago=30)
    _episodes(ct, code, 3)
    investigator = actor_for(User.objects.get(username=INV))
    entries = list(FormInstance.objects.filter(participant__code=code))
    head = AuditRecord.objects.order_by("-seq").first().seq
    calls = fail_audit_anchor_at(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        do_sign_forms(investigator, entries, password=PASSWORD)
    assert len(calls) == 2
    assert not Signature.objects.exists() and not FormInstance.objects.filter(signed=True).exists()
    assert AuditRecord.objects.order_by("-seq").first().seq == head
