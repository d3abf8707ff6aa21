"""The statements of a randomization, in plain SQL (``core.sql``): what it must know about the
participant in one read, and the next slot of a stratum taken in one statement.

Run inside ``do_randomize``'s write transaction, which holds the one write lock: nothing else
writes between these statements, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from trialdesk.web.core import sql
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import (
    AllocationListRecord,
    AllocationSlot,
    Consent,
    ConsentEvent,
    Participant,
    Randomization,
    ScreeningRecord,
    StratumCursor,
)


@dataclass(frozen=True)
class RandomizationState:
    """What ``do_randomize`` checks before allocating, read in one statement."""

    eligible: bool
    raw_reasons: Any
    stratum: str
    # the consent version last signed (a re-consent's, else the first consent's); None: no consent
    consent_version: str | None
    consent_withdrawn: bool  # refused on regaining capacity, or withdrawn at any level
    randomized: bool
    earlier_participant_id: int | None  # who the idempotency key was used for, if it was
    list_id: int | None  # the loaded allocation list (None: none loaded)
    raw_metadata: Any
    site: str  # the participant's site and its status (trialdesk.site_status)
    site_status: str

    @property
    def consented(self) -> bool:
        """Whether a consent is recorded."""
        return self.consent_version is not None

    def reasons(self) -> list[str]:
        """The screening's reasons of ineligibility."""
        return sql.from_db(ScreeningRecord, "reasons", self.raw_reasons) or []

    @property
    def dynamic(self) -> bool:
        """Whether the loaded list is a dynamic procedure's (minimization): no list in advance."""
        metadata = sql.from_db(AllocationListRecord, "metadata", self.raw_metadata) or {}
        return bool(metadata.get("dynamic"))


@dataclass(frozen=True)
class TakenSlot:
    """The slot (kit) a randomization took."""

    id: int
    sequence: int
    stratum: str
    arm: str
    kit_code: str


def read_state(participant_id: int, idempotency_key: str | None) -> RandomizationState:
    """Read the participant's screening, consent and randomization, the participant an
    idempotency key was used for, the allocation list and the site's status: one statement."""
    row = sql.fetch_one(_state_sql(), (
        ConsentEvent.RECONSENTED, ConsentEvent.REFUSED, ConsentEvent.WITHDRAWN, idempotency_key,
        participant_id))
    if row is None:  # every participant is created with its screening record
        raise ScreeningRecord.DoesNotExist(f"no screening record for participant {participant_id}")
    (eligible, reasons, stratum, version, withdrawn, randomized, earlier, list_id, metadata,
     site, site_status) = row
    return RandomizationState(bool(eligible), reasons, stratum, version, bool(withdrawn),
                              bool(randomized), earlier, list_id, metadata, site, site_status)


def take_next_slot(stratum: str) -> TakenSlot:
    """Mark the stratum's first free slot (in list order) used and return it; count it on the
    stratum's cursor. Conflict ``list_exhausted`` when none is left."""
    if not sql.execute(_count_sql(), (stratum,)):
        raise Conflict("list_exhausted", f"no free slot left in stratum {stratum}")
    row = sql.fetch_one(_take_sql(), (True, stratum, False))
    if row is None:
        raise Conflict("list_exhausted", f"no free slot left in stratum {stratum}")
    return TakenSlot(*row)


def mark_used(slot_id: int) -> None:
    """Mark one slot (a dynamic procedure's kit) used."""
    sql.execute(_mark_sql(), (True, slot_id))


# --- the statements, built once the models are loaded ------------------------------------------

def _c(model: Any, name: str, alias: str = "") -> str:
    return (f"{alias}." if alias else "") + sql.column(model, name)


@cache
def _state_sql() -> str:
    s, c, r, a = ScreeningRecord, Consent, Randomization, AllocationListRecord
    e, p, t = ConsentEvent, Participant, Site
    first_list = f"FROM {sql.table(a)} ORDER BY {_c(a, 'id')} LIMIT 1"
    # names from the models, values as parameters
    return (
        f"SELECT {_c(s, 'eligible', 's')}, {_c(s, 'reasons', 's')}, {_c(s, 'stratum', 's')}, "  # noqa: S608
        f"COALESCE((SELECT {_c(e, 'form_version', 'v')} FROM {sql.table(e)} v "
        f"WHERE {_c(e, 'participant', 'v')} = {_c(s, 'participant', 's')} "
        f"AND {_c(e, 'kind', 'v')} = %s ORDER BY {_c(e, 'id', 'v')} DESC LIMIT 1), "
        f"(SELECT {_c(c, 'form_version', 'c')} FROM {sql.table(c)} c "
        f"WHERE {_c(c, 'participant', 'c')} = {_c(s, 'participant', 's')})), "
        f"EXISTS (SELECT 1 FROM {sql.table(e)} w "
        f"WHERE {_c(e, 'participant', 'w')} = {_c(s, 'participant', 's')} "
        f"AND {_c(e, 'kind', 'w')} IN (%s, %s)), "
        f"EXISTS (SELECT 1 FROM {sql.table(r)} r "
        f"WHERE {_c(r, 'participant', 'r')} = {_c(s, 'participant', 's')}), "
        f"(SELECT {_c(r, 'participant', 'k')} FROM {sql.table(r)} k "
        f"WHERE {_c(r, 'idempotency_key', 'k')} = %s), "
        f"(SELECT {_c(a, 'id')} {first_list}), (SELECT {_c(a, 'metadata')} {first_list}), "
        f"{_c(t, 'code', 't')}, {_c(t, 'status', 't')} "
        f"FROM {sql.table(s)} s "
        f"JOIN {sql.table(p)} p ON {_c(p, 'id', 'p')} = {_c(s, 'participant', 's')} "
        f"JOIN {sql.table(t)} t ON {_c(t, 'id', 't')} = {_c(p, 'site', 'p')} "
        f"WHERE {_c(s, 'participant', 's')} = %s"
    )


@cache
def _count_sql() -> str:
    allocated = _c(StratumCursor, "allocated")
    return (f"UPDATE {sql.table(StratumCursor)} SET {allocated} = {allocated} + 1 "  # noqa: S608
            f"WHERE {_c(StratumCursor, 'stratum')} = %s")


@cache
def _take_sql() -> str:
    slot = AllocationSlot
    pk, used = _c(slot, "id"), _c(slot, "used")
    returned = ", ".join(_c(slot, name) for name in ("id", "sequence", "stratum", "arm",
                                                     "kit_code"))
    return (
        f"UPDATE {sql.table(slot)} SET {used} = %s WHERE {pk} = ("  # noqa: S608
        f"SELECT {pk} FROM {sql.table(slot)} WHERE {_c(slot, 'stratum')} = %s AND {used} = %s "
        f"ORDER BY {_c(slot, 'sequence')} LIMIT 1) RETURNING {returned}"
    )


@cache
def _mark_sql() -> str:
    slot = AllocationSlot
    return (f"UPDATE {sql.table(slot)} SET {_c(slot, 'used')} = %s "  # noqa: S608
            f"WHERE {_c(slot, 'id')} = %s")
