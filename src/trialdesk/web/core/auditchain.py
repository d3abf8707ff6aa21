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


# --- heads published outside the database ----------------------------------------------------
#
# A copy of the database restored from before its newest writes (its records and anchors cut off
# together) verifies on its own. A head kept where the rollback cannot reach (a file on another
# disk, an e-mail, the public registry page) shows it: the database must still hold every head
# ever published, with the same hash.


@dataclass(frozen=True)
class PublishedHead:
    seq: int
    hash: str
    at: str = ""  # the time of the record, as published
    published_at: str = ""
    source: str = ""  # where it was read: "FILE line N"


def head_line(*, seq: int, digest: str, at: datetime, published_at: datetime,
              trial: str = "") -> str:
    """The JSON line (no signature: its worth is where it is kept) that publishes a head."""
    entry = {"trial": trial, "seq": seq, "hash": digest, "head": f"{seq}:{digest}",
             "at": _canonical_time(at), "published_at": _canonical_time(published_at)}
    return json.dumps(entry, sort_keys=False, separators=(", ", ": "))


def read_published(lines: Iterable[str], source: str, trial: str = "") -> list[PublishedHead]:
    """Return the heads of a published file's lines; raise ValueError naming a bad line.

    Lines published for another trial (another ``trial`` value) are skipped, so one file can keep
    the heads of several trials.
    """
    heads = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not a JSON object")
            seq, digest = parse_head(f"{entry['seq']}:{entry['hash']}")
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{where}: not a published head ({error})") from None
        if trial and entry.get("trial") and entry["trial"] != trial:
            continue
        heads.append(PublishedHead(seq, digest, str(entry.get("at", "")),
                                   str(entry.get("published_at", "")), where))
    return heads


def _described(head: PublishedHead) -> str:
    when = f", published {head.published_at}" if head.published_at else ""
    return f"{head.seq}:{head.hash} ({head.source}{when})"


def check_published(
    chain: Mapping[int, str], last_seq: int, heads: Iterable[PublishedHead]
) -> ChainCheck:
    """Check published heads against the database's records ``seq -> hash`` (at least those at
    the published numbers) whose newest is ``last_seq``.

    "forked at SEQ": a published head names a record the database has, with another hash (the
    database was replaced by another history). "cut off after SEQ": the database ends at SEQ,
    before a published head (a rollback). The count is that of ``chain``.
    """
    ordered = sorted(set(heads), key=lambda head: (head.seq, head.hash, head.source))
    for head in ordered:
        if head.seq <= last_seq and chain.get(head.seq) != head.hash:
            kept = [h.seq for h in ordered if h.seq < head.seq and chain.get(h.seq) == h.hash]
            still = (f"; the newest published head it still has is record {kept[-1]}" if kept
                     else "")
            return ChainCheck(False, len(chain), head.seq,
                              f"forked at {head.seq}: the published head {_described(head)} "
                              f"names record {head.seq}, whose hash in the database is "
                              f"{chain.get(head.seq, 'missing')}{still}")
    beyond = [head for head in ordered if head.seq > last_seq]
    if beyond:
        newest = beyond[-1]
        return ChainCheck(False, len(chain), last_seq + 1,
                          f"cut off after {last_seq}: the published head {_described(newest)} "
                          f"names record {newest.seq}, but the database's last record is "
                          f"{last_seq} ({newest.seq - last_seq} records gone: restored from an "
                          "older copy, or rolled back)")
    return ChainCheck(True, len(chain))
