"""The one rule for the state of each scheduled visit, and a participant's next visit (issue 16).

The dashboard, the data-capture worklist and schedule pages, the completeness report and the API
all call :func:`visit_states` and :func:`next_visit`: each reads its records its own way, none
decides a state itself, so they cannot disagree. Plain Python, no storage: what was recorded comes
in as :class:`VisitRecord` and :class:`ParticipantDates`.

Windows come from the randomization date: a visit's target is ``randomized_on + day``, its window
``day - window_before .. day + window_after``. States, first match wins:

- ``not_done``: recorded as not done (with a reason);
- ``done``: every form of the visit complete;
- a visit that **took place** (some form entered; for a visit before randomization, the
  participant was screened: that visit is the screening itself) is ``due`` until its window
  closes, or until the day it took place when that is later, then ``overdue``: its data are
  late, but a visit that took place is never ``missed``. So the screening visit of a participant
  screened and randomized the same day (after the protocol's day -1) is due that day, never missed;
- ``not_expected``: the window opens after the participant died or withdrew; except a visit with
  closing forms (the end-of-study record) of a participant who died or was discontinued: it
  stays expected, for those forms only (``ScheduledVisit.closing_only``), on its usual window;
- ``upcoming`` before the window opens, ``due`` within it, ``overdue`` after it while data can
  still reasonably come (until the next visit's window opens; after the last visit,
  ``MISSED_AFTER_DAYS``), ``missed`` after that.

The next visit is the first, in schedule order, still to take place: due, overdue or upcoming,
not yet begun, and not of closing forms only. A visit begun but incomplete stays due or overdue
in the schedule (its forms are missing in the completeness report) without hiding the next
encounter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

VisitStatus = Literal["upcoming", "due", "overdue", "missed", "done", "not_done", "not_expected"]
VISIT_STATUSES: tuple[VisitStatus, ...] = (
    "upcoming", "due", "overdue", "missed", "done", "not_done", "not_expected")
# states whose forms are expected by now (the completeness report counts them)
EXPECTED_STATUSES: frozenset[str] = frozenset({"due", "overdue", "missed", "done"})
OPEN_STATUSES: frozenset[str] = frozenset({"upcoming", "due", "overdue"})
MISSED_AFTER_DAYS = 7


class TimedVisit(Protocol):
    """What the rule reads of a protocol visit (``trialdesk.protocol.capture.Visit``)."""

    @property
    def code(self) -> str: ...
    @property
    def day(self) -> int: ...
    @property
    def window_before(self) -> int: ...
    @property
    def window_after(self) -> int: ...
    @property
    def closing_forms(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class VisitRecord:
    """What was recorded of one visit."""

    entered: bool = False  # at least one of its forms entered (draft or complete)
    complete: bool = False  # every one of its forms complete
    not_done: bool = False  # recorded as not done, with a reason


@dataclass(frozen=True)
class ParticipantDates:
    """The dates the schedule hangs on."""

    randomized_on: dt.date
    screened_on: dt.date | None = None
    left_on: dt.date | None = None  # death or withdrawal: no later visit is expected
    # the leaving was a death or a discontinuation, not a withdrawal of consent from follow-up:
    # the closing forms of later visits are still expected
    closing_expected: bool = True


@dataclass(frozen=True)
class ScheduledVisit:
    """One visit's window and state on a given day."""

    code: str
    day: int
    target: dt.date
    window_start: dt.date
    window_end: dt.date
    status: VisitStatus
    took_place: bool
    closing_only: bool = False  # after leaving: only the visit's closing forms are expected


def window(visit: TimedVisit, randomized_on: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """Return the visit's target date and the first and last day of its window."""
    target = randomized_on + dt.timedelta(days=visit.day)
    return (target, target - dt.timedelta(days=visit.window_before),
            target + dt.timedelta(days=visit.window_after))


def held_on(visit: TimedVisit, dates: ParticipantDates, record: VisitRecord) -> dt.date | None:
    """Return the day the visit took place when known, else None.

    A visit before randomization is the screening: it took place on the screening date. A
    later visit with a form entered took place, on a day the records do not say (its target).
    """
    if visit.day < 0 and dates.screened_on is not None:
        return dates.screened_on
    if record.entered:
        return dates.randomized_on + dt.timedelta(days=visit.day)
    return None


def visit_status(
    *, record: VisitRecord, window_start: dt.date, window_end: dt.date, today: dt.date,
    next_window_start: dt.date | None, left_on: dt.date | None, took_place_on: dt.date | None,
) -> VisitStatus:
    """Return one visit's state (the rule is the module's docstring)."""
    if record.not_done:
        return "not_done"
    if record.complete:
        return "done"
    if took_place_on is not None:
        return "due" if today <= max(window_end, took_place_on) else "overdue"
    if left_on is not None and window_start > left_on:
        return "not_expected"
    if today < window_start:
        return "upcoming"
    if today <= window_end:
        return "due"
    missed_from = next_window_start or window_end + dt.timedelta(days=MISSED_AFTER_DAYS)
    return "missed" if today >= missed_from else "overdue"


def ordered(visits: Iterable[TimedVisit]) -> list[TimedVisit]:
    """Return the visits in schedule order (by day; a tie keeps the protocol's order)."""
    return sorted(visits, key=lambda visit: visit.day)


def closing_only(visit: TimedVisit, dates: ParticipantDates) -> bool:
    """Whether only the visit's closing forms are expected: its window opens after the
    participant died or was discontinued, and it has closing forms."""
    start = window(visit, dates.randomized_on)[1]
    return (dates.left_on is not None and start > dates.left_on and dates.closing_expected
            and bool(visit.closing_forms))


def visit_states(
    visits: Iterable[TimedVisit],
    dates: ParticipantDates,
    records: Mapping[str, VisitRecord],
    *,
    today: dt.date,
    closing_records: Mapping[str, VisitRecord] | None = None,
) -> list[ScheduledVisit]:
    """Return every visit in schedule order with its window and its state on ``today``.

    ``records`` are of every form of a visit; ``closing_records`` of its closing forms only,
    read for a visit where only those are expected (:func:`closing_only`)."""
    schedule = ordered(visits)
    states = []
    for index, visit in enumerate(schedule):
        target, start, end = window(visit, dates.randomized_on)
        following = schedule[index + 1] if index + 1 < len(schedule) else None
        next_start = window(following, dates.randomized_on)[1] if following else None
        closing = closing_only(visit, dates)
        source = (closing_records or {}) if closing else records
        record = source.get(visit.code, VisitRecord())
        took_place_on = held_on(visit, dates, record)
        status = visit_status(record=record, window_start=start, window_end=end, today=today,
                              next_window_start=next_start,
                              left_on=None if closing else dates.left_on,
                              took_place_on=took_place_on)
        states.append(ScheduledVisit(visit.code, visit.day, target, start, end, status,
                                     took_place_on is not None, closing))
    return states


def next_visit(states: Sequence[ScheduledVisit]) -> ScheduledVisit | None:
    """Return the first visit still to take place (due, overdue or upcoming), if any; a visit
    of closing forms only is no encounter with the participant (they died or left)."""
    return next((s for s in states if s.status in OPEN_STATUSES and not s.took_place
                 and not s.closing_only), None)
