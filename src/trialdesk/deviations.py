"""The rules of a protocol deviation, as they would hold for a paper log too (issue 16).

A deviation is open when reported; it is "CAPA in progress" once a corrective or preventive action
is written; it is closed only when both actions are written and marked completed and, for a major
deviation, the report to the ethics committee is recorded. A major deviation's ethics report is
due ``ethics_report_days`` after its discovery (the protocol's ``[deviations]``): due until then,
overdue after, reported once its date is recorded.

Dates are calendar days of the site: a deviation happens, is discovered and is reported on a day.

>>> ethics_state("major", discovered_on=dt.date(2026, 1, 5), reported_on=None,
...              today=dt.date(2026, 1, 13), report_days=7)
'overdue'
>>> ethics_state("minor", discovered_on=dt.date(2026, 1, 5), reported_on=None,
...              today=dt.date(2026, 1, 13), report_days=7)
'not_required'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAJOR, MINOR = "major", "minor"
SEVERITIES = (MAJOR, MINOR)

# how the deviation came to light
DISCOVERY_METHODS = ("monitoring_visit", "data_review", "site_self_report", "central_check")

OPEN, CAPA_IN_PROGRESS, CLOSED = "open", "capa_in_progress", "closed"
STATUSES = (OPEN, CAPA_IN_PROGRESS, CLOSED)

# the ethics committee report of a deviation
NOT_REQUIRED, DUE, OVERDUE, REPORTED = "not_required", "due", "overdue", "reported"
ETHICS_STATES = (NOT_REQUIRED, DUE, OVERDUE, REPORTED)


def ethics_due_date(severity: str, discovered_on: dt.date, report_days: int) -> dt.date | None:
    """The last day for the ethics committee report (None: a minor deviation needs none)."""
    if severity != MAJOR:
        return None
    return discovered_on + dt.timedelta(days=report_days)


def ethics_state(severity: str, *, discovered_on: dt.date, reported_on: dt.date | None,
                 today: dt.date, report_days: int) -> str:
    """Where the ethics committee report stands: not required, due, overdue or reported.

    A report recorded late is still "reported" (its date shows it was late); overdue is the state
    that asks for action today.
    """
    due = ethics_due_date(severity, discovered_on, report_days)
    if due is None:
        return NOT_REQUIRED
    if reported_on is not None:
        return REPORTED
    return OVERDUE if today > due else DUE


@dataclass(frozen=True)
class DeviationFacts:
    """What the life-cycle rules need of one deviation."""

    severity: str
    corrective_action: str
    preventive_action: str
    capa_completed_on: dt.date | None
    ethics_reported_on: dt.date | None


def status_of(facts: DeviationFacts, *, closed: bool) -> str:
    """The status a deviation's facts give it (``closed``: it was closed and not reopened)."""
    if closed:
        return CLOSED
    if facts.corrective_action or facts.preventive_action:
        return CAPA_IN_PROGRESS
    return OPEN


def close_blockers(facts: DeviationFacts) -> list[tuple[str, str]]:
    """(field, rule) for each thing that keeps the deviation from being closed; empty: it may."""
    blockers = []
    if not facts.corrective_action:
        blockers.append(("corrective_action", "must be written before closing"))
    if not facts.preventive_action:
        blockers.append(("preventive_action", "must be written before closing"))
    if facts.capa_completed_on is None:
        blockers.append(("capa_completed_on", "the CAPA must be completed before closing"))
    if facts.severity == MAJOR and facts.ethics_reported_on is None:
        blockers.append(("ethics_reported_on",
                         "a major deviation is closed once reported to the ethics committee"))
    return blockers


def date_rule(*, occurred_on: dt.date, discovered_on: dt.date, today: dt.date,
              earliest: dt.date) -> tuple[str, str] | None:
    """(field, rule) for the first implausible date of a deviation, or None."""
    if occurred_on < earliest:
        return "occurred_on", f"must be on or after {earliest.isoformat()} (the trial's start)"
    if occurred_on > today:
        return "occurred_on", "must not be in the future"
    if discovered_on > today:
        return "discovered_on", "must not be in the future"
    if discovered_on < occurred_on:
        return "discovered_on", "must be on or after the day it happened"
    return None
