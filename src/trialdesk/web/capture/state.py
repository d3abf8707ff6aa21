"""Whether data may still change: the database (kept in core), participant and form locks."""

from __future__ import annotations

from functools import cache

from trialdesk.web.capture.models import FormInstance, Lock
from trialdesk.web.core import sql
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.locks import database_lock_id, refuse_if_database_locked
from trialdesk.web.trials.models import Participant


def active_database_lock() -> Lock | None:
    """Return the database lock in force, if any."""
    lock_id = database_lock_id()
    return Lock.objects.filter(pk=lock_id).first() if lock_id is not None else None


def participant_locked(participant: Participant) -> bool:
    """Return True if the participant's data are locked.

    Plain SQL (``core.sql``): every form save and signature asks this.
    """
    return sql.fetch_one(_participant_locked_sql(), (Lock.PARTICIPANT, participant.pk)) is not None


@cache
def _participant_locked_sql() -> str:
    scope, participant = sql.column(Lock, "scope"), sql.column(Lock, "participant")
    return (f"SELECT 1 FROM {sql.table(Lock)} WHERE {scope} = %s AND {participant} = %s "  # noqa: S608
            f"AND {sql.column(Lock, 'unlocked_at')} IS NULL LIMIT 1")


def refuse_if_locked(participant: Participant, instance: FormInstance | None = None) -> None:
    """Raise Conflict if the database, the participant or the form is locked."""
    refuse_if_database_locked()
    if participant_locked(participant):
        raise Conflict("participant_locked", f"the data of {participant.code} are locked")
    if instance is not None and instance.locked:
        raise Conflict("form_locked", f"the form {instance.key} is locked")
