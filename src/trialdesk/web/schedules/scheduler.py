"""Queue each due run of every schedule exactly once, whichever of several workers polls.

Every worker's heartbeat calls :func:`enqueue_due` (``runner.BEAT_HOOKS``). A due schedule is
claimed by :func:`do_claim_due_run`, one write transaction: the schedule's row locked
(``select_for_update``; on SQLite the write transaction itself serializes), the run's row
inserted under the unique (schedule, due time) constraint, the schedule moved to its next due
time, the work queued and audited. A second poller finds the schedule no longer due, or, should
it have read it before the first committed, its insert refused by the constraint: it queues
nothing. A backup run is a task (``backups.run_scheduled_backup``); a data cut is export jobs
started in the same transaction, as the schedule's role starts them on the exports page.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import actor_as
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, Forbidden, NotFound
from trialdesk.web.core.models import Membership
from trialdesk.web.exports.actions import start_scheduled_cut
from trialdesk.web.exports.context import allocation_for
from trialdesk.web.schedules.backups import run_scheduled_backup
from trialdesk.web.schedules.models import Schedule, ScheduledRun
from trialdesk.web.schedules.timing import next_due_after

log = logging.getLogger("trialdesk.schedules")
SYSTEM = "system"
OPERATOR = "cli"


def enqueue_due(now: dt.datetime | None = None) -> list[ScheduledRun]:
    """Claim and queue the run of every active schedule that is due; return the runs queued
    here (not those another poller queued)."""
    now = now or timezone.now()
    due = list(Schedule.objects.filter(active=True, next_due__lte=now)
               .order_by("next_due").values_list("pk", flat=True))
    queued = []
    for schedule_id in due:
        try:
            run = do_claim_due_run(schedule_id=schedule_id, now=now)
        except OperationalError as error:  # SQLite busy: the next beat tries again
            log.warning("schedule %s: not claimed this time: %s", schedule_id, error)
            continue
        except Exception:  # one schedule's fault must not hold back the ones due after it
            log.exception("schedule %s: its due run could not be claimed", schedule_id)
            continue
        if run is not None:
            queued.append(run)
    return queued


@action(None)
def do_claim_due_run(*, schedule_id: int, now: dt.datetime) -> ScheduledRun | None:
    """Claim the due run of one schedule and queue its work; None when it is not due (any
    more): another poller claimed it first."""
    schedule = Schedule.objects.select_for_update().filter(pk=schedule_id, active=True).first()
    if schedule is None or schedule.next_due > now:
        return None
    due = schedule.next_due
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(schedule=schedule, due_at=due, queued_at=now)
    except IntegrityError:
        return None
    schedule.next_due = next_due_after(due, dt.timedelta(seconds=schedule.every_seconds), now)
    schedule.save(update_fields=["next_due"])
    changes: dict[str, dict[str, Any]] = {
        "due_at": {"old": None, "new": due.isoformat()},
        "next_due": {"old": due.isoformat(), "new": schedule.next_due.isoformat()}}
    if schedule.kind == Schedule.BACKUP:
        run_scheduled_backup.enqueue(run.pk)
    else:
        _start_cut(schedule, run)
        changes["state"] = {"old": None, "new": run.state}
        changes["exports"] = {"old": None, "new": run.result.get("exports", [])}
    append_audit(actor=SYSTEM, action=f"queue_scheduled_{schedule.kind}", model="scheduled_run",
                 object_id=str(run.pk), changes=changes, reason=f"schedule {schedule.pk}")
    log.info("schedule %s: %s due %s queued", schedule.pk, schedule.kind, due.isoformat())
    return run


def _start_cut(schedule: Schedule, run: ScheduledRun) -> None:
    """Start the data cut's exports as the schedule's role (refused as that role would be: a
    deactivated account, an unsigned delegation, a format needing the arms for a blinded
    role); a refusal is the run's failure, shown on the schedules page, and starts nothing."""
    try:
        with transaction.atomic():
            actor = actor_as(Membership.objects.select_related("user", "site").get(
                pk=schedule.membership_id))
            allocation = allocation_for(actor)
            jobs = [start_scheduled_cut(actor, format_name=name, allocation=allocation,
                                        data_cutoff=run.due_at)
                    for name in schedule.settings.get("formats", [])]
    except (Forbidden, Conflict, KeyError, Membership.DoesNotExist) as refused:
        run.state, run.last_error = ScheduledRun.FAILED, str(refused)[:2000]
        log.error("schedule %s: the data cut due %s was refused: %s", schedule.pk,
                  run.due_at.isoformat(), refused)
    else:
        run.state = ScheduledRun.DONE
        run.result = {"exports": [str(job.pk) for job in jobs], "allocation": allocation}
    run.attempts, run.finished_at = 1, run.queued_at
    run.save()


@action(None)
def do_create_schedule(*, kind: str, every: dt.timedelta, first: dt.datetime,
                       settings: dict[str, Any], membership: Membership | None = None,
                       actor: str = OPERATOR) -> Schedule:
    """Store a schedule (the server's operator, at the command line), audited."""
    if kind not in Schedule.KINDS:
        raise ValueError(f"a schedule is one of {', '.join(Schedule.KINDS)}, not {kind!r}")
    if (kind == Schedule.DATA_CUT) != (membership is not None):
        raise ValueError("a data cut, and only a data cut, is exported as a role")
    schedule = Schedule.objects.create(
        kind=kind, every_seconds=int(every.total_seconds()), next_due=first, settings=settings,
        membership=membership, created_by=actor, created_at=timezone.now())
    changes = {"kind": {"old": None, "new": kind},
               "every_seconds": {"old": None, "new": schedule.every_seconds},
               "next_due": {"old": None, "new": first.isoformat()},
               "settings": {"old": None, "new": settings}}
    if membership is not None:
        changes["membership"] = {"old": None, "new": {
            "user": membership.user.get_username(), "role": membership.role,
            "site": membership.site.code if membership.site else None}}
    append_audit(actor=actor, action="create_schedule", model="schedule",
                 object_id=str(schedule.pk), changes=changes)
    return schedule


@action(None)
def do_stop_schedule(*, schedule_id: int, actor: str = OPERATOR) -> Schedule:
    """Stop a schedule (kept, with its runs, for the record), audited; a run already queued
    still runs."""
    schedule = Schedule.objects.select_for_update().filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound(f"no schedule {schedule_id}")
    if schedule.active:
        schedule.active = False
        schedule.save(update_fields=["active"])
        append_audit(actor=actor, action="stop_schedule", model="schedule",
                     object_id=str(schedule.pk), changes={"active": {"old": True, "new": False}})
    return schedule
