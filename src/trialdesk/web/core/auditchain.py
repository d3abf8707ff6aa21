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


def parse_head(text: str) -> tuple[int, str]:
    """Return (seq, hash) of a published head written ``SEQ:HASH``; raise ValueError otherwise."""
    seq, sep, digest = text.strip().partition(":")
    digest = digest.lower()
    if not sep or not seq.isdigit() or len(digest) != 64 or any(
            c not in "0123456789abcdef" for c in digest):
        raise ValueError("a head reads SEQ:HASH, e.g. 42:3f9a... (64 hex digits)")
    return int(seq), digest


def check_heads(
    chain: Mapping[int, str], heads: Iterable[tuple[int, str]], source: str
) -> ChainCheck:
    """Check that each known head (seq, hash) is still in the chain ``seq -> hash``.

    A verified chain cut at its end still verifies; a head recorded elsewhere (the anchor table,
    a published value) past the new end, or with another hash, shows the cut.
    """
    for seq, digest in heads:
        if chain.get(seq) != digest:
            what = "is missing" if seq not in chain else "has another hash"
            return ChainCheck(False, len(chain), seq,
                              f"record {seq} {what}: {source} names it as a head of the chain "
                              "(records were removed or replaced)")
    return ChainCheck(True, len(chain))
