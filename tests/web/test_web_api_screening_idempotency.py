"""Screening takes an idempotency key: a retry returns the first participant instead of a second.

Issue 12, finding 7: screening had no idempotency key, so a client retrying after a lost answer
screened the patient twice (two participants, two screening-log rows).
"""

from __future__ import annotations

import pytest
from eligible import ELIGIBLE_VALUES

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Participant, ScreeningRecord

KEY = "screen-retry-0001"


@pytest.fixture
def investigator(trial):
    return trial.api("investigator-co-01")


def _screen(client, body=None, headers=None):
    return client.post("/api/v1/participants",
                       {"values": ELIGIBLE_VALUES} if body is None else body, headers=headers)


def test_a_retry_with_the_same_key_returns_the_first_participant(investigator):
    first = _screen(investigator, {"values": ELIGIBLE_VALUES, "idempotency_key": KEY})
    assert first.status_code == 201, first.content
    audit = AuditRecord.objects.count()
    again = _screen(investigator, {"values": ELIGIBLE_VALUES, "idempotency_key": KEY})
    assert again.status_code == 200, again.content
    assert again.json()["code"] == first.json()["code"]
    assert again.json()["eligible"] == first.json()["eligible"]
    assert Participant.objects.count() == 1 and ScreeningRecord.objects.count() == 1
    assert AuditRecord.objects.count() == audit  # a repeat records nothing
    assert ScreeningRecord.objects.get().idempotency_key == KEY


def test_the_key_may_come_as_the_idempotency_key_header(investigator):
    headers = {"Idempotency-Key": KEY}
    first = _screen(investigator, headers=headers)
    again = _screen(investigator, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["code"] == first.json()["code"]
    assert Participant.objects.count() == 1


def test_without_a_key_each_request_screens_a_new_patient(investigator):
    codes = {_screen(investigator).json()["code"] for _ in range(2)}
    assert len(codes) == 2


def test_a_key_reused_with_other_values_is_a_conflict(investigator):
    assert _screen(investigator, {"values": ELIGIBLE_VALUES, "idempotency_key": KEY}
                   ).status_code == 201
    other = _screen(investigator, {"values": {**ELIGIBLE_VALUES, "age": 70},
                                   "idempotency_key": KEY})
    assert other.status_code == 409, other.content
    assert other.json()["error"] == "idempotency_key_reused"
    assert Participant.objects.count() == 1


def test_a_key_reused_at_another_site_is_a_conflict(trial):
    body = {"values": ELIGIBLE_VALUES, "idempotency_key": KEY}
    assert _screen(trial.api("investigator-co-01"), body).status_code == 201
    other = _screen(trial.api("investigator-co-02"), body)
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert Participant.objects.count() == 1


@pytest.mark.parametrize("key", ["short", "k" * 101])
def test_a_key_of_the_wrong_length_names_the_field(investigator, key):
    response = _screen(investigator, {"values": ELIGIBLE_VALUES, "idempotency_key": key})
    assert response.status_code == 422
    assert "idempotency_key" in {item["field"] for item in response.json()["fields"]}
    header = _screen(investigator, headers={"Idempotency-Key": key})
    assert header.status_code == 422
    assert "idempotency_key" in {item["field"] for item in header.json()["fields"]}
    assert not Participant.objects.exists()
