"""The hash chain of the audit trail: how a record's hash is computed and how a chain is checked.

Plain Python over dicts, so the rule can be tested without a database and re-implemented by an
auditor: ``hash = SHA-256(canonical JSON of the record's fields, including prev_hash)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "at", "actor", "action", "model", "object_id", "changes", "reason", "prev_hash",
)


def _canonical_time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return str(value)


def record_hash(record: Mapping[str, Any]) -> str:
    """Return the hash of one record from its fields (``hash`` itself excluded)."""
    payload = {name: record[name] for name in HASHED_FIELDS}
    payload["at"] = _canonical_time(payload["at"])
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(records: Iterable[Mapping[str, Any]]) -> ChainCheck:
    """Check records in ``seq`` order; return the first one whose number, link or hash is wrong."""
    previous_hash = GENESIS
    expected_seq = 1
    count = 0
    for record in records:
        count += 1
        seq = record["seq"]
        if seq != expected_seq:
            return ChainCheck(False, count, seq, f"record {seq}: expected number {expected_seq} "
                              "(a record is missing or out of place)")
        if record["prev_hash"] != previous_hash:
            return ChainCheck(False, count, seq, f"record {seq}: does not link to record {seq - 1}")
        if record_hash(record) != record["hash"]:
            return ChainCheck(False, count, seq, f"record {seq}: content does not match its hash")
        previous_hash = record["hash"]
        expected_seq += 1
    return ChainCheck(True, count)
