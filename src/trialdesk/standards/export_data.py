"""The trial's data as the standard-format writers read it (ODM, CSV + data dictionary, FHIR).

Plain records, no Django: the web layer (``web.exports``) fills them from its tables one
participant at a time, so a writer holds one participant's forms in memory, never the trial's.
Which allocation a participant carries (``Allocation``: the dummy one, the real one or none) is
decided by the caller from the requester's role and the unblinding state, never by a writer;
a writer only labels what it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from trialdesk.protocol.schema import Protocol
from trialdesk.standards.protocol_versions import ProtocolVersion, VersionedForms, versioned_forms

AllocationKind = Literal["dummy", "real", "none"]
# repeating forms that no visit lists (adverse events, medications) are kept under this visit
LOG_VISIT = "log"
DUMMY_LABEL = "DUMMY ALLOCATION - NOT THE TRIAL'S ARMS"


@dataclass(frozen=True)
class ArmAssignment:
    """A participant's group as the export may show it: the real arm, or the dummy one."""

    code: str
    label: str
    dummy: bool

    @property
    def display(self) -> str:
        """The label a file shows: a dummy group always says it is one."""
        if self.dummy and "DUMMY" not in self.label.upper():
            return f"{DUMMY_LABEL}: {self.label}"
        return self.label


@dataclass(frozen=True)
class FormChange:
    """One audited save of a form: field -> (old, new), the status change, who, when, why."""

    audit_seq: int
    at: dt.datetime
    user: str
    reason: str
    values: Mapping[str, tuple[Any, Any]]
    status: tuple[str | None, str] | None = None


@dataclass(frozen=True)
class FormSignature:
    """An electronic signature of a form (voided when the form changed after it)."""

    signature_id: int
    user: str
    at: dt.datetime
    meaning: str
    voided_at: dt.datetime | None = None
    voided_by: str = ""
    void_reason: str = ""


@dataclass(frozen=True)
class FormRecord:
    visit: str
    form: str
    seq: int
    status: str
    values: Mapping[str, Any]
    changes: Sequence[FormChange] = ()
    signatures: Sequence[FormSignature] = ()
    version: int = 1  # the number of saves
    # the protocol version the form was captured under (issue 17: amendments)
    protocol_version: int = 1


@dataclass(frozen=True)
class ConsentRecord:
    """The consent in force: when, who signed (participant or representative), data use."""

    consented_at: dt.datetime
    signer: Literal["participant", "representative"]
    document_version: str
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True)
class SubjectRecord:
    code: str
    site: str
    enrolled_on: dt.date | None
    forms: Sequence[FormRecord]
    arm: ArmAssignment | None = None
    consent: ConsentRecord | None = None
    status: Literal["candidate", "on-study", "off-study", "withdrawn"] = "on-study"
    # whether the consent lets the data collected be used (issue 17): "N" after a withdrawal or
    # refusal that took it back
    data_use: Literal["Y", "N"] = "Y"


@dataclass(frozen=True)
class UserRecord:
    username: str
    full_name: str
    role: str
    site: str | None


@dataclass(frozen=True)
class SiteRecord:
    code: str
    name: str


@dataclass
class TrialExport:
    """Everything a writer reads: the protocol, who may appear in audit records, the subjects.

    ``subjects`` is iterated once, participant by participant (a generator from the database).
    """

    protocol: Protocol
    allocation: AllocationKind
    created_at: dt.datetime
    subjects: Iterable[SubjectRecord]
    users: Sequence[UserRecord] = ()
    sites: Sequence[SiteRecord] = ()
    source_version: str = ""
    subject_count: int | None = None
    # the (code, label) an arm column may hold: the protocol's arms for the real allocation, the
    # dummy allocation's groups (never the arms' codes) for the dummy one
    arm_choices: Sequence[tuple[str, str]] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    # every recorded protocol version, oldest first; empty: ``protocol`` is the only one (1)
    versions: Sequence[ProtocolVersion] = ()
    # site -> {version number: the date it is in force there from}: its ethics approval entered
    # and its effective date come (the first version from the protocol's start)
    in_force_from: Mapping[str, Mapping[int, dt.date]] = field(default_factory=dict)

    def protocol_versions(self) -> list[ProtocolVersion]:
        """The recorded versions, oldest first (``protocol`` as version 1 when none is)."""
        return list(self.versions) or [ProtocolVersion(1, self.protocol)]

    def described(self) -> VersionedForms:
        """The forms and fields of every version together, as the files describe them."""
        return versioned_forms(self.protocol_versions())


def check_allocation(kind: AllocationKind, arm: ArmAssignment | None, subject: str) -> None:
    """Refuse a subject whose arm does not match what the export was told to carry: a real arm in
    a dummy export (or any arm in one without allocation) would break the blinding."""
    if kind == "none" and arm is not None:
        raise ValueError(f"{subject}: an export without allocation was given an arm")
    if kind == "dummy" and arm is not None and not arm.dummy:
        raise ValueError(f"{subject}: a dummy-allocation export was given a real arm")
    if kind == "real" and arm is not None and arm.dummy:
        raise ValueError(f"{subject}: a real-allocation export was given a dummy arm")
