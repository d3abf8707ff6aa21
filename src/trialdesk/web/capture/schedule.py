"""A participant's visit schedule from the randomization date, with visit and form statuses.

Visit status: ``upcoming`` before its window opens, ``due`` within the window, ``overdue`` after
the window while data can still reasonably be entered (until the next visit's window opens),
``missed`` after that (for the last visit: ``MISSED_AFTER_DAYS`` after its window), ``done`` once
every form is complete, ``not_done`` when marked so, ``not_expected`` when it falls after the
participant died or withdrew. Form status: not_started, draft, complete, signed, locked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q

from trialdesk.protocol.capture import Visit
from trialdesk.web.capture import state
from trialdesk.web.capture.actions.forms import randomization_date
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance, VisitNotDone
from trialdesk.web.trials.models import Participant

MISSED_AFTER_DAYS = 7
DONE_FORM_STATES = ("complete", "signed", "locked")


@dataclass
class FormState:
    code: str
    status: str
    version: int = 0
    open_queries: int = 0


@dataclass
class VisitState:
    visit: Visit
    target: dt.date
    window_start: dt.date
    window_end: dt.date
    status: str
    forms: list[FormState] = field(default_factory=list)
    not_done_reason: str = ""

    @property
    def code(self) -> str:
        return self.visit.code


def form_status(instance: FormInstance | None, *, participant_locked: bool = False,
                database_locked: bool = False) -> str:
    """Return not_started, draft, complete, signed or locked."""
    if instance is None:
        return "not_started"
    if instance.locked or participant_locked or database_locked:
        return "locked"
    if instance.signed:
        return "signed"
    return "complete" if instance.status == COMPLETE else "draft"


def _window(visit: Visit, randomized_on: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    target = randomized_on + dt.timedelta(days=visit.day)
    return (target, target - dt.timedelta(days=visit.window_before),
            target + dt.timedelta(days=visit.window_after))


def visit_status(
    *, forms_done: bool, window_start: dt.date, window_end: dt.date, today: dt.date,
    next_window_start: dt.date | None, not_done: bool, left_on: dt.date | None,
) -> str:
    """Return the status of one visit (see the module's docstring)."""
    if not_done:
        return "not_done"
    if forms_done:
        return "done"
    if left_on is not None and window_start > left_on:
        return "not_expected"
    if today < window_start:
        return "upcoming"
    if today <= window_end:
        return "due"
    missed_from = next_window_start or window_end + dt.timedelta(days=MISSED_AFTER_DAYS)
    return "missed" if today >= missed_from else "overdue"


def build_schedule(
    visits: Iterable[Visit],
    randomized_on: dt.date,
    instances: Iterable[FormInstance],
    *,
    today: dt.date,
    not_done: dict[str, str] | None = None,
    left_on: dt.date | None = None,
    open_queries: dict[int, int] | None = None,
    participant_locked: bool = False,
    database_locked: bool = False,
) -> list[VisitState]:
    """Return each visit's window and status, and its forms' statuses."""
    by_slot = {(i.visit, i.form): i for i in instances if i.seq == 1}
    not_done = not_done or {}
    open_queries = open_queries or {}
    ordered = sorted(visits, key=lambda v: v.day)
    states = []
    for index, visit in enumerate(ordered):
        target, start, end = _window(visit, randomized_on)
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        next_start = _window(following, randomized_on)[1] if following is not None else None
        forms = []
        for code in visit.forms:
            instance = by_slot.get((visit.code, code))
            forms.append(FormState(
                code=code,
                status=form_status(instance, participant_locked=participant_locked,
                                   database_locked=database_locked),
                version=instance.version if instance else 0,
                open_queries=open_queries.get(instance.pk, 0) if instance else 0,
            ))
        status = visit_status(
            forms_done=all(f.status in DONE_FORM_STATES for f in forms),
            window_start=start, window_end=end, today=today, next_window_start=next_start,
            not_done=visit.code in not_done, left_on=left_on,
        )
        states.append(VisitState(visit, target, start, end, status, forms,
                                 not_done.get(visit.code, "")))
    return states


def participant_schedule(participant: Participant, visits: Iterable[Visit], *, today: dt.date,
                         database_locked: bool = False) -> list[VisitState]:
    """Load what the schedule needs for one participant (four queries) and build it."""
    randomized_on = randomization_date(participant)
    if randomized_on is None:
        return []
    is_locked = state.participant_locked(participant)
    instances = list(FormInstance.objects.filter(participant=participant).annotate(
        open_count=Count("queries", filter=Q(queries__status="open"))))
    not_done = dict(VisitNotDone.objects.filter(participant=participant).values_list(
        "visit", "reason"))
    left = Discontinuation.objects.filter(participant=participant).values_list(
        "date", flat=True).first()
    return build_schedule(
        visits, randomized_on, instances, today=today, not_done=not_done, left_on=left,
        open_queries={i.pk: i.open_count for i in instances},
        participant_locked=is_locked, database_locked=database_locked,
    )
