"""Adverse events through the API: reported by the site (report_ae) as the next entry of the
protocol's adverse-event log form, validated and audited as the form itself is."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from api_client import ApiClient
from lock_override import lock_database
from role_checks import arm_leaks, refused_to_all

from trialdesk.web.capture import api_adverse_events
from trialdesk.web.capture.models import FormInstance, Query
from trialdesk.web.core.models import AuditRecord

INVESTIGATOR, COORDINATOR = "investigator-co-01", "coordinator-co-01"


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _event(**change) -> dict:
    values = {"ae_term": "Infusion-site rash", "ae_onset_date": _today(), "ae_grade": "2",
              "ae_serious": "no", "ae_relatedness": "possible", "ae_outcome": "recovering"}
    return {"values": {**values, **change}}


def _path(code: str) -> str:
    return f"/api/v1/participants/{code}/adverse-events"


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_the_investigator_reports_an_adverse_event_as_the_next_log_entry(ct):
    code = ct.randomize()
    before = _last_seq()
    response = ct.api(INVESTIGATOR).post(_path(code), _event())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == f"{code}/log/adverse_event/1"
    assert (body["visit"], body["form"], body["seq"], body["status"]) == (
        "log", "adverse_event", 1, "complete")
    assert body["values"] == _event()["values"] | {"ae_serious": False}
    [record] = AuditRecord.objects.filter(seq__gt=before)
    assert (record.actor, record.action, record.object_id) == (
        INVESTIGATOR, "save_form", f"{code}/log/adverse_event/1")
    assert record.changes["ae_term"] == {"old": None, "new": "Infusion-site rash"}
    assert record.changes["status"] == {"old": None, "new": "complete"}
    assert all(set(change) == {"old", "new"} for change in record.changes.values())


def test_each_report_takes_the_next_free_number_and_the_list_keeps_their_order(ct):
    code = ct.randomize()
    first = ct.api(INVESTIGATOR).post(_path(code), _event(ae_term="Fever"))
    second = ct.api(COORDINATOR).post(_path(code), _event(ae_term="Hypotension", ae_grade="3"))
    assert (first.json()["seq"], second.json()["seq"]) == (1, 2)
    assert second.json()["updated_by"] == COORDINATOR
    for reader in (INVESTIGATOR, COORDINATOR, "monitor", "data_manager", "dsmb_statistician"):
        listed = ct.api(reader).get(_path(code))
        assert listed.status_code == 200, reader
        assert [(e["seq"], e["values"]["ae_term"]) for e in listed.json()] == [
            (1, "Fever"), (2, "Hypotension")]
        assert listed.json()[0]["key"] == f"{code}/log/adverse_event/1"


def _two_reported(ct) -> str:
    code = ct.randomize()
    ct.api(INVESTIGATOR).post(_path(code), _event(ae_term="Fever"))
    # a draft: saving over it would need no reason, so nothing but the check below prevents it
    draft = ct.api(INVESTIGATOR).post(_path(code), {"values": {"ae_term": "Nausea"},
                                                    "complete": False})
    assert draft.json()["seq"] == 2
    return code


def _unchanged(code: str) -> None:
    entries = FormInstance.objects.filter(participant__code=code, form="adverse_event")
    assert {e.seq: (e.values["ae_term"], e.version) for e in entries if e.seq < 3} == {
        1: ("Fever", 1), 2: ("Nausea", 1)}


def test_a_report_that_finds_its_number_taken_takes_the_next(ct, monkeypatch):
    """Two reports at once may both pick number 2: the one that loses takes 3 and never saves
    over the other's entry."""
    code = _two_reported(ct)
    real, picked = api_adverse_events._next_seq, []

    def stale_then_real(participant, form):
        picked.append(2 if not picked else real(participant, form))
        return picked[-1]

    monkeypatch.setattr(api_adverse_events, "_next_seq", stale_then_real)
    response = ct.api(INVESTIGATOR).post(_path(code), _event(ae_term="Headache"))
    assert response.status_code == 201, response.content
    assert (response.json()["seq"], picked) == (3, [2, 3])
    _unchanged(code)


def test_a_report_that_loses_the_race_at_the_save_takes_the_next(ct, monkeypatch):
    """The other report may commit number 2 between the check and the save: the unique slot
    refuses the second row, and the report is retried with number 3."""
    code = _two_reported(ct)
    real_slot, real_next, calls = (api_adverse_events.access_form_slot,
                                   api_adverse_events._next_seq, [])

    def as_if_still_free(actor, participant_code, visit, form, seq=1):
        slot = real_slot(actor, participant_code, visit, form, seq)
        calls.append(seq)
        if len(calls) == 1:  # looked up before the other report committed
            return dataclasses.replace(slot, instance=None)
        return slot

    monkeypatch.setattr(api_adverse_events, "_next_seq", lambda participant, form: (
        2 if not calls else real_next(participant, form)))
    monkeypatch.setattr(api_adverse_events, "access_form_slot", as_if_still_free)
    response = ct.api(INVESTIGATOR).post(_path(code), _event(ae_term="Headache"))
    assert response.status_code == 201, response.content
    assert (response.json()["seq"], calls[:2]) == (3, [2, 3])
    _unchanged(code)


@pytest.mark.parametrize(("change", "field"), [
    ({"ae_grade": None}, "ae_grade"),
    ({"ae_term": ""}, "ae_term"),
    ({"ae_grade": "7"}, "ae_grade"),
    ({"ae_relatedness": "maybe"}, "ae_relatedness"),
    ({"ae_onset_date": "yesterday"}, "ae_onset_date"),
    ({"ae_colour": "red"}, "ae_colour"),
])
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_stored(ct, change, field):
    code = ct.randomize()
    before = _last_seq()
    response = ct.api(INVESTIGATOR).post(_path(code), _event(**change))
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    assert _last_seq() == before
    assert not FormInstance.objects.filter(form="adverse_event").exists()


def test_a_resolution_before_the_onset_is_refused_by_the_protocols_check(ct):
    code = ct.randomize()
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    response = ct.api(INVESTIGATOR).post(_path(code), _event(ae_resolution_date=yesterday))
    assert response.status_code == 422
    assert any(p["rule"] == "check:ae_resolution_after_onset"
               for p in response.json()["fields"])


def test_an_onset_before_randomization_needs_confirming_and_then_raises_a_query(ct):
    code = ct.randomize()
    earlier = _event(ae_onset_date="2020-02-01")
    refused = ct.api(INVESTIGATOR).post(_path(code), earlier)
    assert refused.status_code == 422
    assert [p["severity"] for p in refused.json()["fields"]] == ["warning"]
    confirmed = ct.api(INVESTIGATOR).post(
        _path(code), {**earlier, "confirm": ["ae_onset_after_randomization"]})
    assert confirmed.status_code == 201, confirmed.content
    assert Query.objects.filter(participant__code=code, kind=Query.AUTO).count() == 1


def test_a_draft_report_may_lack_required_values(ct):
    code = ct.randomize()
    response = ct.api(COORDINATOR).post(_path(code), {"values": {"ae_term": "Delirium"},
                                                      "complete": False})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "values"),
    ({"values": "rash"}, "values"),
    ({**_event(), "arm": "msc"}, "arm"),
])
def test_a_malformed_body_names_the_field(ct, body, field):
    code = ct.randomize()
    response = ct.api(INVESTIGATOR).post(_path(code), body)
    assert response.status_code == 422
    assert field in _fields(response)


def test_another_sites_participant_is_not_found(ct):
    code = ct.randomize("co-02")
    assert ct.api(INVESTIGATOR).post(_path(code), _event()).status_code == 404
    assert ct.api(INVESTIGATOR).get(_path(code)).status_code == 404
    assert ct.api(INVESTIGATOR).post(_path("P-NONE"), _event()).status_code == 404
    assert not FormInstance.objects.filter(form="adverse_event").exists()


def test_no_report_once_the_database_is_locked(ct):
    code = ct.randomize()
    assert lock_database(ct.users).status_code == 201
    before = _last_seq()
    response = ct.api(INVESTIGATOR).post(_path(code), _event())
    assert response.status_code == 409
    assert _last_seq() == before


def test_every_other_role_may_not_report(ct):
    code = ct.randomize()
    # the roles that read no participant (pharmacist, administrator) are told "not found"
    assert refused_to_all(ct.users, ("report_ae",), "POST", _path(code), _event(),
                          record_readers=("screen", "read")) == []
    assert not FormInstance.objects.filter(form="adverse_event").exists()


def test_roles_that_read_no_participant_may_not_list(ct):
    code = ct.randomize()
    assert refused_to_all(ct.users, ("screen", "read"), "GET", _path(code),
                          record_readers=("screen", "read")) == []


def test_no_answer_shows_a_blinded_role_an_arm(ct):
    code = ct.randomize()
    answers = {INVESTIGATOR: ct.api(INVESTIGATOR).post(_path(code), _event())}
    assert answers[INVESTIGATOR].status_code == 201
    for name in (INVESTIGATOR, COORDINATOR, "monitor", "data_manager", "analyst", "admin"):
        answers[f"{name} list"] = ApiClient(ct.users[name]).get(_path(code))
    leaks = {name: arm_leaks(ct.users[name.removesuffix(" list")], answer)
             for name, answer in answers.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
