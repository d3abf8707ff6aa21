"""Appending to the hash-chained audit trail, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connection, transaction

from trialdesk.web.core import clock, sql
from trialdesk.web.core.auditchain import GENESIS, record_hash
from trialdesk.web.core.models import AuditAnchor, AuditRecord

# Any constant works: it names the lock that serializes writers on PostgreSQL.
WRITE_LOCK_KEY = 0x7472_6961_6C64


def lock_writes() -> None:
    """Serialize trial writes: the audit chain is one line, so its writers must take turns.

    SQLite already holds its write lock from BEGIN IMMEDIATE; PostgreSQL takes an advisory
    transaction lock, released at commit or rollback.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("trial writes must run inside transaction.atomic")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])


def append_audit(
    *,
    actor: str,
    action: str,
    model: str = "",
    object_id: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditRecord:
    """Append one record linked to the last one; call inside the transaction of the change.

    Three statements in plain SQL (``core.sql``; the two models' ``create`` is an
    ``AppendOnlyManager``'s): the head, the record, its anchor. Every write of the trial appends
    here, so it is on the hot path of each one.
    """
    lock_writes()
    last = sql.fetch_one(_head_sql(), ())
    fields: dict[str, Any] = {
        "seq": (last[0] + 1) if last else 1,
        "at": clock.now(),
        "actor": actor,
        "action": action,
        "model": model,
        "object_id": str(object_id),
        "changes": changes or {},
        "reason": reason,
        "prev_hash": last[1] if last else GENESIS,
    }
    record = AuditRecord.objects.create(hash=record_hash(fields), **fields)
    # The anchor of this head: the last one a transaction writes anchors what it committed.
    AuditAnchor.objects.create(seq=record.seq, hash=record.hash, at=record.at)
    return record


def append_audits(entries: Sequence[Mapping[str, Any]]) -> int:
    """Append several records in order, as ``append_audit`` would one by one (same fields, each
    linked to the one before and hashed alike); return how many.

    For a write that records hundreds of changes at once (a signing session, a monitoring visit):
    one head read, then the records and their anchors (one each, as ``append_audit`` writes) in
    multi-row INSERTs, the last anchor by ``AuditAnchor.objects.create`` as every append's (the
    tests' faults are injected there). Each entry takes ``append_audit``'s keywords.
    """
    if not entries:
        return 0
    lock_writes()
    last = sql.fetch_one(_head_sql(), ())
    seq, previous = (last[0], last[1]) if last else (0, GENESIS)
    at = clock.now()
    rows = []
    for entry in entries:
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq, "at": at, "actor": entry["actor"], "action": entry["action"],
            "model": entry.get("model", ""), "object_id": str(entry.get("object_id", "")),
            "changes": entry.get("changes") or {}, "reason": entry.get("reason", ""),
            "prev_hash": previous,
        }
        previous = fields["hash"] = record_hash(fields)
        rows.append(fields)
    AuditRecord.objects.create_many(rows)
    AuditAnchor.objects.create_many([{"seq": row["seq"], "hash": row["hash"], "at": at}
                                     for row in rows[:-1]])
    AuditAnchor.objects.create(seq=seq, hash=previous, at=at)
    return len(rows)


@cache
def _head_sql() -> str:
    seq, digest = sql.column(AuditRecord, "seq"), sql.column(AuditRecord, "hash")
    return (f"SELECT {seq}, {digest} FROM {sql.table(AuditRecord)} "  # noqa: S608
            f"ORDER BY {seq} DESC LIMIT 1")


def current_head() -> dict[str, Any] | None:
    """Return the newest record's ``seq``, ``hash`` and ``at`` (None while the trail is empty).

    Hashes and a number only: what may be published anywhere, the public registry page included.
    """
    return AuditRecord.objects.order_by("-seq").values("seq", "hash", "at").first()
