"""Consent as the law requires it (issue 17): the record through the API, a representative's
consent then the participant's own on regaining capacity (the dashboard task due by the
protocol's deadline), a refusal then (the protocol's data rule), randomization only on a valid
consent for the site's current version, bad input naming field and rule with nothing stored,
the audit trail, and an append-only event log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from enrollment import screen

from trialdesk.web.core import clock
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Consent, ConsentEvent, Randomization

INV = "investigator-co-01"
# the trial's clock stands still at 15:00 UTC (10:00 in Bogotá, the sites' zone)
NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
TODAY = NOW.date().isoformat()
CONSENT = {"consent_date": TODAY, "form_version": "1.0"}
LAR = {**CONSENT, "signer": "lar", "lar_name": "Ana Gómez", "lar_relationship": "spouse",
       "consent_time": "10:00:00"}


@pytest.fixture(autouse=True)
def _still_clock():
    with clock.use_clock(clock.SimulatedClock(NOW)) as still:
        yield still


def _screened(trial, user=INV) -> str:
    return screen(trial.api(user))["code"]


def _post(trial, code, path, body, user=INV):
    return trial.api(user).post(f"/api/v1/participants/{code}/consent{path}", body)


def _lar_consented(trial) -> str:
    code = _screened(trial)
    response = _post(trial, code, "", LAR)
    assert response.status_code == 201, response.content
    return code


def test_a_representative_consents_with_the_full_record(trial):
    code = _lar_consented(trial)
    record = Consent.objects.get(participant__code=code)
    assert (record.signer, record.lar_name, record.lar_relationship) == (
        "lar", "Ana Gómez", "spouse")
    assert record.language == "es"  # the version's first language, when none is given
    assert record.obtained_by.username == INV and record.consented_at is not None
    audit = AuditRecord.objects.get(action="consent", object_id=code)
    assert audit.changes["signer"] == {"old": None, "new": "lar"}
    assert audit.changes["obtained_by"] == {"old": None, "new": INV}
    history = trial.api(INV).get(f"/api/v1/participants/{code}/consent/history").json()
    assert history["consent"]["lar_relationship"] == "spouse" and history["events"] == []


def test_lar_then_the_participants_own_consent_on_regaining_capacity(trial):
    code = _lar_consented(trial)
    assert _post(trial, code, "/capacity-regained", {"date": TODAY}).status_code == 201
    tasks = trial.api(INV).get("/api/v1/consent/tasks").json()
    due = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=7)).isoformat()
    assert tasks == [{"participant": code, "site": "CO-01", "capacity_regained_on": TODAY,
                      "due": due, "overdue": False}]
    # another site's investigator sees no task of this site
    assert trial.api("investigator-co-02").get("/api/v1/consent/tasks").json() == []
    response = _post(trial, code, "/confirmation", {"date": TODAY, "note": "awake, agrees"})
    assert response.status_code == 201, response.content
    assert trial.api(INV).get("/api/v1/consent/tasks").json() == []
    randomized = trial.api(INV).post(f"/api/v1/participants/{code}/randomize", {})
    assert randomized.status_code == 201, randomized.content
    actions = list(AuditRecord.objects.filter(object_id=code).order_by("seq").values_list(
        "action", flat=True))
    assert actions == ["screen", "consent", "consent_capacity_regained", "consent_confirmed",
                       "randomize"]


def test_the_task_is_overdue_after_the_protocols_deadline(trial):
    code = _lar_consented(trial)
    _post(trial, code, "/capacity-regained", {"date": TODAY})
    with clock.use_clock(clock.SimulatedClock(NOW + dt.timedelta(days=7))):
        [task] = trial.api(INV).get("/api/v1/consent/tasks").json()
    assert task["overdue"] is False  # due that day
    with clock.use_clock(clock.SimulatedClock(NOW + dt.timedelta(days=8))):
        [task] = trial.api(INV).get("/api/v1/consent/tasks").json()
    assert task["participant"] == code and task["overdue"] is True


def test_a_refusal_on_regaining_capacity_applies_the_protocols_data_rule(trial):
    code = _lar_consented(trial)
    trial.api(INV).post(f"/api/v1/participants/{code}/randomize", {})
    _post(trial, code, "/capacity-regained", {"date": TODAY})
    response = _post(trial, code, "/refusal", {"date": TODAY, "note": "does not want to go on"})
    assert response.status_code == 201, response.content
    event = response.json()
    # the default protocol: keep_until_refusal = nothing more collected, the data so far used
    assert (event["data_rule"], event["level"], event["data_use"]) == (
        "keep_until_refusal", "all_data", True)
    history = trial.api(INV).get(f"/api/v1/participants/{code}/consent/history").json()
    assert history["withdrawal"] == {"level": "all_data", "date": TODAY, "data_use": True}
    assert trial.api(INV).get("/api/v1/consent/tasks").json() == []
    form = trial.api(INV).put(f"/api/v1/participants/{code}/visits/day0/forms/respiratory",
                              {"values": {"pao2": 80}})
    assert form.status_code == 409 and form.json()["error"] == "consent_withdrawn"


def test_a_refusal_before_randomization_blocks_it(trial):
    code = _lar_consented(trial)
    _post(trial, code, "/capacity-regained", {"date": TODAY})
    _post(trial, code, "/refusal", {"date": TODAY})
    response = trial.api(INV).post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 409 and response.json()["error"] == "consent_withdrawn"
    assert "consent" in response.json()["detail"]
    assert not Randomization.objects.filter(participant__code=code).exists()


def test_randomization_is_refused_without_consent_naming_consent(trial):
    code = _screened(trial)
    response = trial.api(INV).post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 409 and response.json()["error"] == "unconsented"
    assert response.json()["detail"].startswith("consent:")


def test_capacity_and_answers_need_their_order(trial):
    own = _screened(trial)
    _post(trial, own, "", CONSENT)
    assert _post(trial, own, "/capacity-regained", {"date": TODAY}).json()["error"] == (
        "not_lar_consent")
    code = _lar_consented(trial)
    assert _post(trial, code, "/confirmation", {"date": TODAY}).json()["error"] == (
        "no_capacity_task")
    _post(trial, code, "/capacity-regained", {"date": TODAY})
    again = _post(trial, code, "/capacity-regained", {"date": TODAY})
    assert again.status_code == 409 and again.json()["error"] == "capacity_task_open"


@pytest.mark.parametrize(("change", "field", "rule"), [
    ({"signer": "lar"}, "lar_name", "is required when a legally authorized representative signs"),
    ({"signer": "lar", "lar_name": "Ana"}, "lar_relationship",
     "is required when a legally authorized representative signs"),
    ({"signer_can_read": False}, "witness_name",
     "is required: the protocol asks for an impartial witness for this consent"),
    ({"form_version": "9.9"}, "form_version", "must be a consent version of the protocol (1.0)"),
    ({"language": "fr"}, "language", "must be one of the version's languages (es, en)"),
    ({"consent_date": "2020-01-20"}, "consent_date", "must not be before the screening"),
    ({"consent_date": "2019-12-31"}, "consent_date", "must not be before 2020-01-13"),
    ({"consent_time": "10:00:01"}, "consent_time", "must not be in the future"),
    ({"consent_time": "09:59:59"}, "consent_time", "must not be before the screening"),
    ({"obtained_by": "investigator-co-02"}, "obtained_by", "must be a user at site CO-01"),
    ({"obtained_by": "nobody"}, "obtained_by", "must be a user at site CO-01"),
    ({"lar_name": "Ana"}, "lar_name", "must be empty when the participant signs"),
])
def test_bad_consent_input_names_field_and_rule_and_stores_nothing(trial, change, field, rule):
    code = _screened(trial)
    before = AuditRecord.objects.count()
    body = {**CONSENT, **change}
    response = _post(trial, code, "", body)
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == [{"field": field, "rule": rule}]
    assert not Consent.objects.filter(participant__code=code).exists()
    assert AuditRecord.objects.count() == before


def test_a_witness_makes_a_consent_by_a_signer_who_cannot_read_valid(trial):
    code = _screened(trial)
    response = _post(trial, code, "", {**CONSENT, "signer_can_read": False,
                                       "witness_name": "Luis Pérez", "language": "en"})
    assert response.status_code == 201, response.content
    assert response.json()["witness_name"] == "Luis Pérez"


def test_the_event_log_is_append_only(trial):
    code = _lar_consented(trial)
    _post(trial, code, "/capacity-regained", {"date": TODAY})
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(participant__code=code).update(kind="confirmed")
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(participant__code=code).delete()
    assert ConsentEvent.objects.get(participant__code=code).kind == "capacity_regained"


def test_bad_event_input_names_field_and_rule(trial):
    code = _lar_consented(trial)
    before = ConsentEvent.objects.count()
    future = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=1)).isoformat()
    response = _post(trial, code, "/capacity-regained", {"date": future})
    assert response.json()["fields"] == [{"field": "date", "rule": "must not be in the future"}]
    response = _post(trial, code, "/withdrawal", {"date": TODAY, "level": "visits",
                                                  "data_use": True})
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "level"
    assert ConsentEvent.objects.count() == before
