# ruff: noqa: S608 - the SQL here is the attack under test, built from constants
"""The audit trail: append-only by trigger, hash-chained, and ``trialdesk audit verify``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.db import DatabaseError, connection, transaction
from enrollment import enroll

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.core.auditchain import GENESIS, record_hash, verify_chain
from trialdesk.web.core.models import AuditRecord

TABLE = "trials_auditrecord"


@pytest.fixture
def busy_trial(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path))
    investigator = trial.api("investigator-co-01")
    for _ in range(3):
        code = enroll(investigator)
        investigator.post(f"/api/v1/participants/{code}/randomize", {})
    assert AuditRecord.objects.count() > 12
    return trial


def _verify() -> dict:
    result = CliRunner().invoke(audit_command, ["verify", "--json", "--data-dir", "."])
    body = json.loads(result.output)
    assert result.exit_code == (0 if body["ok"] else 1)
    return body


def _without_trigger(sql: str, params: list) -> None:
    """Run ``sql`` with the append-only triggers dropped, as an attacker with file access would."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TABLE}_no_update")
        cursor.execute(f"DROP TRIGGER {TABLE}_no_delete")
        cursor.execute(sql, params)


def test_intact_trail_verifies(busy_trial):
    body = _verify()
    assert body["ok"] and body["records"] == AuditRecord.objects.count()


@pytest.mark.parametrize("sql", [f"UPDATE {TABLE} SET actor = 'mallory'", f"DELETE FROM {TABLE}"])
def test_trigger_rejects_update_and_delete(busy_trial, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql)
    assert not AuditRecord.objects.filter(actor="mallory").exists()


def test_orm_cannot_change_a_record_either(busy_trial):
    record = AuditRecord.objects.get(seq=2)
    record.actor = "mallory"
    with pytest.raises(DatabaseError), transaction.atomic():
        record.save()


def test_edited_record_is_named(busy_trial):
    _without_trigger(f"UPDATE {TABLE} SET changes = %s WHERE seq = 7", ['{"forged": true}'])
    body = _verify()
    assert not body["ok"] and body["first_bad_record"] == 7
    assert "does not match its hash" in body["problem"]


def test_deleted_record_is_named(busy_trial):
    _without_trigger(f"DELETE FROM {TABLE} WHERE seq = 5", [])
    body = _verify()
    assert not body["ok"] and body["first_bad_record"] == 6
    assert "missing" in body["problem"]


def test_swapped_records_are_named(busy_trial):
    _without_trigger(f"UPDATE {TABLE} SET seq = 1000000 WHERE seq = 3", [])
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 8")
        cursor.execute(f"UPDATE {TABLE} SET seq = 8 WHERE seq = 1000000")
    body = _verify()
    assert not body["ok"] and body["first_bad_record"] == 3
    assert "does not link" in body["problem"]


def test_rehashed_forgery_still_breaks_the_next_link(busy_trial):
    record = AuditRecord.objects.filter(seq=4).values().get()
    record["actor"] = "mallory"
    new_hash = record_hash(record)
    _without_trigger(f"UPDATE {TABLE} SET actor = 'mallory', hash = %s WHERE seq = 4", [new_hash])
    body = _verify()
    assert body["first_bad_record"] == 5 and "does not link" in body["problem"]


def _chain(n: int) -> list[dict]:
    records, previous = [], GENESIS
    for seq in range(1, n + 1):
        record = {"seq": seq, "at": f"2026-01-0{seq}T00:00:00+00:00", "actor": "a", "action": "x",
                  "model": "", "object_id": str(seq), "changes": {"n": seq}, "reason": "",
                  "prev_hash": previous}
        record["hash"] = previous = record_hash(record)
        records.append(record)
    return records


def test_verify_chain_accepts_a_good_chain_and_the_empty_one():
    assert verify_chain(_chain(5)).ok
    assert verify_chain([]).ok


def test_verify_chain_names_first_bad_record_without_a_database():
    records = _chain(5)
    records[2]["changes"] = {"n": 99}
    assert verify_chain(records).first_bad_seq == 3
    assert verify_chain(_chain(5)[1:]).first_bad_seq == 2
