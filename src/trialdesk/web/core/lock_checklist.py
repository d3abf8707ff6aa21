"""What must be settled before a lock: checks contributed by the apps that own the data.

The core imports no app, so each app registers its checks (open queries from capture, unverified
source data from monitoring, unresolved serious adverse events from safety...) in its
``AppConfig.ready``. A lock action asks :func:`lock_checklist` for the outstanding items of the
scope it locks and refuses the lock, or records the override, with the list.

Every item names what is outstanding and where; none may name an arm or depend on one (the
checklist is shown to the blinded data manager and principal investigator).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FORM, PARTICIPANT, DATABASE = "form", "participant", "database"


@dataclass(frozen=True)
class LockScope:
    """What a lock covers: one form instance, one participant's data, or the whole database."""

    kind: str  # FORM, PARTICIPANT or DATABASE
    participant: Any = None  # trials.Participant, for FORM and PARTICIPANT
    instance: Any = None  # capture.FormInstance, for FORM


@dataclass(frozen=True)
class ChecklistItem:
    """One outstanding item: which check found it, and what and where it is."""

    check: str  # the check's code, e.g. "open_queries"
    subject: str  # e.g. "AB-0001 day7 vitals" or "SAE 12"
    detail: str = ""


@dataclass(frozen=True)
class LockCheck:
    code: str
    label: str  # English label; pages translate it
    find: Callable[[LockScope], list[ChecklistItem]] = field(compare=False)


_CHECKS: dict[str, LockCheck] = {}


def register_lock_check(code: str, label: str,
                        find: Callable[[LockScope], list[ChecklistItem]]) -> None:
    """Register (or replace, so a reloaded app does not register twice) one check."""
    _CHECKS[code] = LockCheck(code, label, find)


def lock_checks() -> list[LockCheck]:
    return [_CHECKS[code] for code in sorted(_CHECKS)]


def lock_checklist(scope: LockScope) -> dict[str, list[ChecklistItem]]:
    """Check code -> outstanding items for ``scope`` (every registered check, empty when clean)."""
    return {check.code: check.find(scope) for check in lock_checks()}


def outstanding(checklist: dict[str, list[ChecklistItem]]) -> int:
    return sum(len(items) for items in checklist.values())
