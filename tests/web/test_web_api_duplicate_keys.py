"""A JSON body that gives a key twice is refused naming the key, and nothing is stored.

Issue 12, finding 7: duplicate keys were accepted, the last one winning, ``idempotency_key``
included (a proxy or log that read the first would disagree with what the server did).
"""

from __future__ import annotations

import pytest
from enrollment import enroll

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Participant, Randomization


@pytest.fixture
def investigator(trial):
    return trial.api("investigator-co-01")


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid"
    assert [item["field"] for item in body["fields"]] == [field]
    assert field in body["detail"]


def test_a_duplicate_idempotency_key_is_refused_and_nothing_is_randomized(investigator):
    code = enroll(investigator)
    before = AuditRecord.objects.count()
    response = investigator.post(f"/api/v1/participants/{code}/randomize",
                                 '{"idempotency_key": "aaaaaaaa", "idempotency_key": "bbbbbbbb"}')
    _refused(response, "idempotency_key")
    assert not Randomization.objects.exists()
    assert AuditRecord.objects.count() == before


def test_a_duplicate_key_inside_a_nested_object_is_named_by_its_path(investigator):
    body = ('{"values": {"age": 54, "sars_cov2_pcr": "positive", "age": 16}}')
    _refused(investigator.post("/api/v1/participants", body), "values.age")
    assert not Participant.objects.exists()


def test_a_duplicate_top_level_key_on_screening_is_refused(investigator):
    body = '{"values": {"age": 54}, "values": {"age": 16}}'
    _refused(investigator.post("/api/v1/participants", body), "values")
    assert not Participant.objects.exists()


def test_the_parser_names_paths_through_lists_and_keeps_plain_dicts():
    from trialdesk.web.api.parser import DuplicateKey, loads

    with pytest.raises(DuplicateKey) as error:
        loads('{"rows": [{"a": 1}, {"b": 1, "b": 2}]}')
    assert error.value.field == "rows[1].b"
    parsed = loads('{"a": {"b": [1, {"c": 2}]}}')
    assert parsed == {"a": {"b": [1, {"c": 2}]}}
    assert type(parsed) is dict and type(parsed["a"]["b"][1]) is dict

