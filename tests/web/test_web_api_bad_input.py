"""Bad API input: 4xx naming the fields and the rule, and nothing stored."""

from __future__ import annotations

import pytest
from eligible import ELIGIBLE_VALUES
from enrollment import CONSENT, enroll, screen

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Consent, Participant, ScreeningRecord


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


@pytest.fixture
def investigator(trial):
    return trial.api("investigator-co-01")


def _nothing_stored(before_audit: int) -> None:
    assert not Participant.objects.exists()
    assert not ScreeningRecord.objects.exists()
    assert AuditRecord.objects.count() == before_audit


def test_screening_without_values_names_the_missing_field(investigator):
    before = AuditRecord.objects.count()
    response = investigator.post("/api/v1/participants", {})
    assert response.status_code == 422
    assert _fields(response) == {"values": "is required"}
    _nothing_stored(before)


def test_screening_with_an_extra_field_names_it(investigator):
    before = AuditRecord.objects.count()
    response = investigator.post("/api/v1/participants", {"values": ELIGIBLE_VALUES, "arm": "x"})
    assert response.status_code == 422
    assert _fields(response) == {"arm": "is not an accepted field"}
    _nothing_stored(before)


def test_screening_with_an_unknown_value_names_it(investigator):
    before = AuditRecord.objects.count()
    response = investigator.post("/api/v1/participants",
                                 {"values": {**ELIGIBLE_VALUES, "shoe_size": 42}})
    assert response.status_code == 422
    assert _fields(response) == {"values.shoe_size": "is not a screening field of this protocol"}
    _nothing_stored(before)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("age", "fifty", "must be a number (integer)"),
        ("age", True, "must be a number (integer)"),
        ("fio2", 1.5, "must be between 0.21 and 1"),
        ("sars_cov2_pcr", "maybe", "must be one of positive, negative, pending"),
        ("pregnant", 3, "must be true/false (yes/no)"),
    ],
)
def test_screening_with_a_wrongly_typed_value_names_field_and_rule(
    investigator, field, value, rule
):
    before = AuditRecord.objects.count()
    response = investigator.post("/api/v1/participants",
                                 {"values": {**ELIGIBLE_VALUES, field: value}})
    assert response.status_code == 422
    assert _fields(response) == {f"values.{field}": rule}
    _nothing_stored(before)


def test_values_of_the_wrong_json_type_are_rejected(investigator):
    response = investigator.post("/api/v1/participants", {"values": [1, 2]})
    assert response.status_code == 422
    assert "values" in _fields(response)
    assert not Participant.objects.exists()


def test_malformed_json_is_a_4xx_and_stores_nothing(investigator):
    response = investigator.post("/api/v1/participants", "{not json")
    assert 400 <= response.status_code < 500
    assert not Participant.objects.exists()


def test_consent_with_wrong_types_names_each_field(investigator):
    code = screen(investigator)["code"]
    before = AuditRecord.objects.count()
    response = investigator.post(f"/api/v1/participants/{code}/consent",
                                 {"consent_date": "yesterday", "form_version": 1, "extra": 1})
    assert response.status_code == 422
    assert set(_fields(response)) == {"consent_date", "form_version", "extra"}
    assert not Consent.objects.exists()
    assert AuditRecord.objects.count() == before


def test_consent_date_in_the_future_is_rejected(investigator):
    code = screen(investigator)["code"]
    response = investigator.post(f"/api/v1/participants/{code}/consent",
                                 {"consent_date": "2999-01-01", "form_version": "1.0"})
    assert response.status_code == 422
    assert _fields(response) == {"consent_date": "must not be in the future"}
    assert not Consent.objects.exists()


def test_consenting_twice_is_409(investigator):
    code = enroll(investigator)
    response = investigator.post(f"/api/v1/participants/{code}/consent",
                                 CONSENT)
    assert response.status_code == 409
    assert response.json()["error"] == "already_consented"


def test_short_idempotency_key_names_the_field(investigator):
    code = enroll(investigator)
    response = investigator.post(f"/api/v1/participants/{code}/randomize",
                                 {"idempotency_key": "x"})
    assert response.status_code == 422
    assert "idempotency_key" in _fields(response)


def test_unauthenticated_request_is_401_and_stores_nothing(trial):
    from django.test import Client

    response = Client().post("/api/v1/participants", {"values": ELIGIBLE_VALUES},
                             content_type="application/json")
    assert response.status_code == 401
    assert not Participant.objects.exists()


def test_correcting_screening_needs_a_reason_and_is_audited_field_by_field(investigator):
    code = screen(investigator, {**ELIGIBLE_VALUES, "age": 16})["code"]
    no_reason = investigator.client.patch(
        f"/api/v1/participants/{code}/screening", data='{"values": {"age": 61}}',
        content_type="application/json", headers=investigator.headers)
    assert no_reason.status_code == 422 and _fields(no_reason) == {"reason": "is required"}
    response = investigator.client.patch(
        f"/api/v1/participants/{code}/screening",
        data='{"values": {"age": 61}, "reason": "Typo: birth year misread on the ICU chart"}',
        content_type="application/json", headers=investigator.headers)
    assert response.status_code == 200, response.content
    assert response.json()["eligible"] is True
    record = AuditRecord.objects.get(action="correct_screening")
    assert record.changes["age"] == {"old": 16, "new": 61}
    assert record.reason.startswith("Typo")


def test_a_correction_may_not_move_a_randomized_participant_to_another_stratum(investigator):
    code = enroll(investigator)
    investigator.post(f"/api/v1/participants/{code}/randomize", {})
    response = investigator.client.patch(
        f"/api/v1/participants/{code}/screening",
        data='{"values": {"pao2": 150, "fio2": 0.8}, "reason": "Blood gas re-read by the lab"}',
        content_type="application/json", headers=investigator.headers)
    assert response.status_code == 409
    assert response.json()["error"] == "randomized_stratum_change"
    assert ScreeningRecord.objects.get(participant__code=code).values["pao2"] == 70
