"""Where a verification stands, judged when it is read.

A monitor's verification of a field keeps the SHA-256 of the value as verified. Whether the
verification still holds is decided each time it is read, against the value now stored: a value
changed since (by a correction, an import, any write path at all) reopens the field, with no hook
that a new write path could bypass. A correction of a value the monitor marked "needs
correction" reopens it the same way, for the monitor to verify the corrected value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# a field's or an item's state
NOT_VERIFIED = "not_verified"
VERIFIED = "verified"
NEEDS_CORRECTION = "needs_correction"
CHANGED = "changed"  # verified (or marked) for a value that has changed since: reopened
PARTLY_VERIFIED = "partly_verified"  # an item only: some fields verified, none reopened or wrong

MARKS = (VERIFIED, NEEDS_CORRECTION)  # what a monitor records


@dataclass(frozen=True)
class Mark:
    """The last verification of one field: its status and the hash of the value it was made on."""

    status: str
    value_hash: str


def value_hash(value: object) -> str:
    """The SHA-256 of a value as stored (JSON, keys sorted): equal values, equal hashes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def field_state(mark: Mark | None, current: object) -> str:
    """The state of one field: never verified, verified, needs correction, or reopened."""
    if mark is None:
        return NOT_VERIFIED
    if mark.value_hash != value_hash(current):
        return CHANGED
    return mark.status


def item_state(states: Iterable[str]) -> str:
    """The state of a record from its fields' states: reopened or needing correction wins, then
    verified only when every field is."""
    states = list(states)
    if CHANGED in states:
        return CHANGED
    if NEEDS_CORRECTION in states:
        return NEEDS_CORRECTION
    if states and all(state == VERIFIED for state in states):
        return VERIFIED
    if VERIFIED in states:
        return PARTLY_VERIFIED
    return NOT_VERIFIED


def field_states(fields: Iterable[str], values: Mapping[str, object],
                 marks: Mapping[str, Mark]) -> dict[str, str]:
    """Each field's state, for the record's current ``values`` and the last ``marks``."""
    return {name: field_state(marks.get(name), values.get(name)) for name in fields}
