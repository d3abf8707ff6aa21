"""The audit chain read back from a ``pg_dump -Fc`` file (``trialdesk.web.backup``) without
restoring it: COPY's text escapes (tabs, line breaks, backslashes in a reason), JSON changes and
time zones come back as the values that were hashed; a record altered in the database is found.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from trialdesk.backup.errors import DamagedBackupError
from trialdesk.backup.sources import postgres_dump
from trialdesk.web.backup import dump_chain_check, dump_records, unescape
from trialdesk.web.core.auditchain import GENESIS, record_hash

sys.path.insert(0, str(Path(__file__).resolve().parent))  # live-server helpers
from live_server import fresh_postgres_database

TABLE = """CREATE TABLE trials_auditrecord (
    id bigserial PRIMARY KEY, seq bigint UNIQUE, at timestamptz, actor varchar(150),
    action varchar(40), model varchar(60), object_id varchar(150), changes jsonb, reason text,
    prev_hash varchar(64), hash varchar(64))"""
REASONS = ["", "line one\nline two\ttabbed \\ backslash", "¿Por qué? — 患者 \r\n end",
           "\\N is not null here", "quote ' and \" and \\.\n\\."]


def _chain() -> list[dict]:
    records, previous = [], GENESIS
    start = datetime(2026, 12, 3, 23, 59, 59, 999999, tzinfo=UTC)
    for seq, reason in enumerate(REASONS, start=1):
        record = {"seq": seq, "at": start + timedelta(microseconds=seq), "actor": "admin",
                  "action": "update", "model": "participant", "object_id": f"P-{seq:03d}",
                  "changes": {"old": {"note": reason, "n": 1.5}, "new": [seq, None, True]},
                  "reason": reason, "prev_hash": previous}
        record["hash"] = record_hash(record)
        previous = record["hash"]
        records.append(record)
    return records


def test_copy_text_escapes():
    assert unescape(r"\N") is None
    assert unescape(r"a\tb\nc\\d\re") == "a\tb\nc\\d\re"
    assert unescape(r"\101\x42") == "AB"
    assert unescape("plain ñ") == "plain ñ"


@pytest.mark.postgres
def test_the_chain_of_a_dump_reads_back_as_hashed(tmp_path, postgres_url):
    import psycopg
    from psycopg.types.json import Jsonb

    records = _chain()
    with fresh_postgres_database(postgres_url) as url:
        with psycopg.connect(url) as connection:
            connection.execute("SET TIME ZONE 'America/Bogota'")  # another zone than UTC
            connection.execute(TABLE)
            for record in records:
                connection.execute(
                    "INSERT INTO trials_auditrecord (seq, at, actor, action, model, object_id, "
                    "changes, reason, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
                    "%s, %s)", [record["seq"], record["at"].astimezone(timezone(timedelta(
                        hours=-5))), record["actor"], record["action"], record["model"],
                        record["object_id"], Jsonb(record["changes"]), record["reason"],
                        record["prev_hash"], record["hash"]])
        dump = tmp_path / "audit.pgdump"
        postgres_dump(url, dump)
        assert dump_records(dump) == records
        last = records[-1]
        head = {"seq": last["seq"], "hash": last["hash"]}
        assert dump_chain_check(dump, head) == f"audit trail intact: {len(records)} records"
        with pytest.raises(DamagedBackupError, match="record 6 is missing"):
            dump_chain_check(dump, {"seq": 6, "hash": "0" * 64})
        with psycopg.connect(url) as connection:
            connection.execute("UPDATE trials_auditrecord SET reason = 'rewritten' WHERE seq = 3")
        postgres_dump(url, tmp_path / "altered.pgdump")
        with pytest.raises(DamagedBackupError, match="record 3: content does not match"):
            dump_chain_check(tmp_path / "altered.pgdump", head)
