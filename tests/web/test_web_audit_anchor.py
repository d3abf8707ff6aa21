# ruff: noqa: S608 - the SQL here is the attack under test, built from constants
"""Cutting off the newest audit records: found by the anchor table and by a published head."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.db import DatabaseError, connection, transaction
from enrollment import enroll

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.core.auditchain import check_heads, parse_head
from trialdesk.web.core.models import AuditAnchor, AuditRecord

AUDIT, ANCHORS = "trials_auditrecord", "trials_auditanchor"


@pytest.fixture
def busy_trial(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path))
    investigator = trial.api("investigator-co-01")
    for _ in range(3):
        code = enroll(investigator)
        investigator.post(f"/api/v1/participants/{code}/randomize", {})
    return trial


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(audit_command, [*args, "--data-dir", "."])
    return result.exit_code, result.output


def _verify(*args: str) -> dict:
    code, output = _cli("verify", "--json", *args)
    body = json.loads(output)
    assert code == (0 if body["ok"] else 1)
    return body


def _delete_newest(table: str, count: int) -> None:
    """Remove the newest rows with the triggers dropped, as an attacker with file access would."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        cursor.execute(f"DELETE FROM {table} WHERE id IN "
                       f"(SELECT id FROM {table} ORDER BY seq DESC LIMIT {count})")


def test_head_prints_the_newest_record_and_verify_accepts_it(busy_trial):
    code, output = _cli("head")
    last = AuditRecord.objects.order_by("-seq").first()
    assert code == 0 and output.strip() == f"{last.seq}:{last.hash}"
    assert _verify("--expect-head", output.strip())["ok"]
    assert json.loads(_cli("head", "--json")[1])["seq"] == last.seq


def test_every_append_leaves_an_anchor(busy_trial):
    last = AuditRecord.objects.order_by("-seq").first()
    assert AuditAnchor.objects.order_by("-seq").values_list("seq", "hash")[0] == (last.seq,
                                                                                   last.hash)


def test_deleting_the_newest_records_is_found_by_the_anchors(busy_trial):
    published = _cli("head")[1].strip()
    newest = AuditRecord.objects.order_by("-seq").first().seq
    _delete_newest(AUDIT, 2)
    body = _verify()
    assert not body["ok"]
    assert body["first_bad_record"] == newest - 1 and "anchor table" in body["problem"]
    body = _verify("--expect-head", published)
    assert not body["ok"]


def test_cutting_the_anchors_too_is_still_found_by_the_published_head(busy_trial):
    published = _cli("head")[1].strip()
    seq, _ = parse_head(published)
    _delete_newest(AUDIT, 3)
    _delete_newest(ANCHORS, 3)
    assert _verify()["ok"]  # the database alone can no longer tell: hence publish the head
    body = _verify("--expect-head", published)
    assert not body["ok"] and body["first_bad_record"] == seq
    assert "expected head" in body["problem"]


def test_a_head_with_another_hash_fails(busy_trial):
    seq, digest = parse_head(_cli("head")[1].strip())
    forged = f"{seq}:{'0' * 64}"
    assert not _verify("--expect-head", forged)["ok"]
    assert _cli("verify", "--expect-head", "not-a-head")[0] == 2  # usage error
    assert check_heads({seq: digest}, [(seq, digest)], "test").ok


def test_the_anchor_table_rejects_update_and_delete(busy_trial):
    for sql in (f"UPDATE {ANCHORS} SET hash = 'x'", f"DELETE FROM {ANCHORS}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditAnchor.objects.exclude(hash="x").count() == AuditAnchor.objects.count()
