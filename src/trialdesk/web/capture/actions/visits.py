"""A visit marked not done, and a participant's end of follow-up (death or withdrawal)."""

from __future__ import annotations

import datetime as dt

from trialdesk.protocol.validation import date_window_rule
from trialdesk.web.capture.models import Discontinuation, VisitNotDone
from trialdesk.web.capture.state import refuse_if_locked
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Participant


@action("enter_forms")
def do_mark_visit_not_done(
    actor: Actor, participant: Participant, visit_code: str, *, reason: str
) -> VisitNotDone:
    """Record that a visit did not take place, and why; it is then no longer due or missed."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", "is required to mark a visit not done")
    refuse_if_locked(participant)
    if VisitNotDone.objects.filter(participant=participant, visit=visit_code).exists():
        raise Conflict("already_not_done", f"visit {visit_code} is already marked not done")
    record = VisitNotDone.objects.create(participant=participant, visit=visit_code, reason=reason,
                                         recorded_at=clock.now(), recorded_by=actor.user)
    append_audit(actor=actor.username, action="visit_not_done", model="participant",
                 object_id=participant.code,
                 changes={"visit": {"old": None, "new": visit_code}}, reason=reason)
    return record


@action("enter_forms")
def do_discontinue(
    actor: Actor, participant: Participant, *, kind: str, date: dt.date, reason: str = ""
) -> Discontinuation:
    """Record that the participant died or withdrew on ``date``: later visits are not expected."""
    if kind not in (Discontinuation.DIED, Discontinuation.WITHDREW):
        raise InvalidInput("kind", "must be died or withdrew")
    # from the protocol's earliest date (the trial's start) to today: 0001-01-01 is a typo
    rule = date_window_rule(date, get_protocol().earliest_date(), clock.today())
    if rule is not None:
        raise InvalidInput("date", rule)
    refuse_if_locked(participant)
    if Discontinuation.objects.filter(participant=participant).exists():
        raise Conflict("already_discontinued", f"{participant.code} has already left the study")
    record = Discontinuation.objects.create(
        participant=participant, kind=kind, date=date, reason=reason.strip(),
        recorded_at=clock.now(), recorded_by=actor.user,
    )
    append_audit(actor=actor.username, action="discontinue", model="participant",
                 object_id=participant.code,
                 changes={"discontinuation": {"old": None, "new": f"{kind} {date.isoformat()}"}},
                 reason=record.reason)
    return record
