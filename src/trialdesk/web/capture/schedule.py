"""Visit schedules as data capture stores them: the records read, the core's rule applied.

Which state a visit is in, and which is a participant's next visit, is decided in one place,
:mod:`trialdesk.protocol.visit_state`. This module only reads what that rule needs (the days the
participant was screened, randomized and left follow-up, the forms entered and complete, visits
marked not done) and adds each form's status. The participant's schedule page, the API, the
worklist, the dashboard and the completeness report all go through :func:`schedules_for` or
:func:`participant_schedule`.

Form status: not_started, draft, complete, signed, locked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q

from trialdesk.protocol.capture import Visit
from trialdesk.protocol.visit_state import (
    ParticipantDates,
    ScheduledVisit,
    VisitRecord,
    next_visit,
    visit_states,
)
from trialdesk.web.amendments.versions import protocol_for_site
from trialdesk.web.capture import state
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance, VisitNotDone
from trialdesk.web.trials.consent_state import follow_up_ended
from trialdesk.web.trials.models import Participant, Randomization, ScreeningRecord


@dataclass
class FormState:
    code: str
    status: str
    version: int = 0
    open_queries: int = 0


@dataclass
class VisitState:
    visit: Visit
    scheduled: ScheduledVisit
    forms: list[FormState] = field(default_factory=list)
    not_done_reason: str = ""

    @property
    def code(self) -> str:
        return self.visit.code

    @property
    def status(self) -> str:
        return self.scheduled.status

    @property
    def target(self) -> dt.date:
        return self.scheduled.target

    @property
    def window_start(self) -> dt.date:
        return self.scheduled.window_start

    @property
    def window_end(self) -> dt.date:
        return self.scheduled.window_end


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


def visit_records(
    visits: Iterable[Visit], forms: Iterable[tuple[str, str, str]], not_done: Iterable[str],
    *, closing: bool = False,
) -> dict[str, VisitRecord]:
    """Return each visit's record from (visit, form, status) of the entered first forms: of all
    its forms, or (``closing``) of its closing forms only."""
    status = {(visit, form): stored for visit, form, stored in forms}
    marked = set(not_done)
    records = {}
    for visit in visits:
        codes = visit.closing_forms if closing else visit.forms
        slots = [status.get((visit.code, code)) for code in codes]
        records[visit.code] = VisitRecord(
            entered=any(s is not None for s in slots),
            complete=all(s == COMPLETE for s in slots),
            not_done=visit.code in marked,
        )
    return records


def schedules_for(
    participant_ids: Sequence[int], visits: Sequence[Visit], *, today: dt.date
) -> dict[int, list[ScheduledVisit]]:
    """Return the schedule of each randomized participant among ``participant_ids`` (six queries
    whatever their number, one of them the withdrawals of consent); participants not randomized
    have none."""
    ids = list(participant_ids)
    randomized = dict(Randomization.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "randomized_at"))
    screened = dict(ScreeningRecord.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "screened_at"))
    left = dict(Discontinuation.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "date"))
    # a withdrawal of consent from follow-up visits (or more) ends them too, from its date, and
    # then no closing form is asked for either
    withdrawn = set()
    for pid, day in follow_up_ended(ids).items():
        if day <= left.get(pid, day):
            withdrawn.add(pid)
        left[pid] = min(day, left.get(pid, day))
    forms: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for pid, visit, form, status in FormInstance.objects.filter(
            participant_id__in=ids, seq=1).values_list("participant_id", "visit", "form", "status"):
        forms[pid].append((visit, form, status))
    not_done: dict[int, list[str]] = defaultdict(list)
    for pid, visit in VisitNotDone.objects.filter(participant_id__in=ids).values_list(
            "participant_id", "visit"):
        not_done[pid].append(visit)
    return {
        pid: visit_states(
            visits, ParticipantDates(
                randomized_on=randomized_at.date(),
                screened_on=screened[pid].date() if pid in screened else None,
                left_on=left.get(pid), closing_expected=pid not in withdrawn),
            visit_records(visits, forms[pid], not_done[pid]), today=today,
            closing_records=visit_records(visits, forms[pid], not_done[pid], closing=True))
        for pid, randomized_at in randomized.items()
    }


def next_visits(
    participant_ids: Sequence[int], visits: Sequence[Visit], *, today: dt.date
) -> dict[int, ScheduledVisit | None]:
    """Return each randomized participant's next visit (None when none is left)."""
    return {pid: next_visit(states)
            for pid, states in schedules_for(participant_ids, visits, today=today).items()}


def participant_schedule(participant: Participant, visits: Sequence[Visit], *, today: dt.date,
                         database_locked: bool = False) -> list[VisitState]:
    """Return one participant's schedule with each form's status and open queries."""
    states = schedules_for([participant.pk], visits, today=today).get(participant.pk)
    if states is None:
        return []
    is_locked = state.participant_locked(participant)
    by_slot = {(i.visit, i.form): i for i in FormInstance.objects.filter(
        participant=participant, seq=1).annotate(
        open_count=Count("queries", filter=Q(queries__status="open")))}
    reasons = dict(VisitNotDone.objects.filter(participant=participant).values_list(
        "visit", "reason"))
    by_code = {visit.code: visit for visit in visits}
    result = []
    for scheduled in states:
        visit = by_code[scheduled.code]
        forms = []
        for code in visit.closing_forms if scheduled.closing_only else visit.forms:
            instance = by_slot.get((visit.code, code))
            forms.append(FormState(
                code=code,
                status=form_status(instance, participant_locked=is_locked,
                                   database_locked=database_locked),
                version=instance.version if instance else 0,
                open_queries=instance.open_count if instance else 0,
            ))
        result.append(VisitState(visit, scheduled, forms, reasons.get(visit.code, "")))
    return result


def next_visits_at_their_sites(site_of: Mapping[int, str], *, today: dt.date
                               ) -> dict[int, ScheduledVisit | None]:
    """Return each randomized participant's next visit (``site_of``: participant id -> site
    code) under the protocol version in force at their site (issue 17)."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for pid, site in site_of.items():
        by_site[site].append(pid)
    found: dict[int, ScheduledVisit | None] = {}
    for site, ids in sorted(by_site.items()):
        found.update(next_visits(ids, protocol_for_site(site).visits, today=today))
    return found
