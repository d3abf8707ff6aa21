"""Locks on a form, a participant or the whole database; unlocking needs a reason."""

from __future__ import annotations

from trialdesk.web.capture.models import COMPLETE, FormInstance, Lock
from trialdesk.web.capture.state import active_database_lock, participant_locked
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.locks import record_database_lock
from trialdesk.web.trials.models import FinalUnblinding, Participant


def _target(lock: Lock) -> str:
    if lock.scope == Lock.FORM:
        return lock.form_instance.key
    if lock.scope == Lock.PARTICIPANT:
        return lock.participant.code
    return "database"


@action("lock")
def do_lock(
    actor: Actor,
    scope: str,
    *,
    participant: Participant | None = None,
    instance: FormInstance | None = None,
    reason: str = "",
) -> Lock:
    """Lock a complete form, a participant's data, or the database (data manager)."""
    if active_database_lock() is not None:
        raise Conflict("database_locked", "the database is locked already")
    fields: dict[str, object] = {}
    if scope == Lock.FORM:
        if instance is None:
            raise InvalidInput("form", "is required to lock a form")
        instance = FormInstance.objects.select_for_update().select_related("participant").get(
            pk=instance.pk)
        if instance.locked:
            raise Conflict("form_locked", f"the form {instance.key} is locked already")
        if instance.status != COMPLETE:
            raise Conflict("not_complete", f"{instance.key} must be complete before it is locked")
        instance.locked = True
        instance.save(update_fields=["locked"])
        fields = {"form_instance": instance, "participant": instance.participant}
    elif scope == Lock.PARTICIPANT:
        if participant is None:
            raise InvalidInput("participant", "is required to lock a participant")
        if participant_locked(participant):
            raise Conflict("participant_locked", f"{participant.code} is locked already")
        fields = {"participant": participant}
    elif scope != Lock.DATABASE:
        raise InvalidInput("scope", "must be form, participant or database")
    lock = Lock.objects.create(scope=scope, locked_at=clock.now(), locked_by=actor.user,
                               reason=reason.strip(), **fields)
    if scope == Lock.DATABASE:
        record_database_lock(lock.pk, lock.locked_at)
    append_audit(actor=actor.username, action="lock", model=f"{scope}_lock",
                 object_id=_target(lock), changes={"locked": {"old": False, "new": True}},
                 reason=lock.reason)
    return lock


@action("lock")
def do_unlock(actor: Actor, lock: Lock, *, reason: str) -> Lock:
    """Lift a lock; the reason is required and kept with the lock and in the audit trail."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", "is required to unlock")
    # the lock row alone: FOR UPDATE cannot take the nullable side of the joins (PostgreSQL)
    lock = Lock.objects.select_for_update(of=("self",)).select_related(
        "participant", "form_instance__participant").get(pk=lock.pk)
    if lock.unlocked_at is not None:
        raise Conflict("not_locked", "this lock was lifted already")
    if lock.scope != Lock.DATABASE and active_database_lock() is not None:
        raise Conflict("database_locked", "unlock the database first")
    if lock.scope == Lock.DATABASE and FinalUnblinding.trial_unblinded():
        # data that changed after the arms are known could no longer be trusted
        raise Conflict("trial_unblinded", "the trial is unblinded: the database stays locked")
    lock.unlocked_at = clock.now()
    lock.unlocked_by = actor.user
    lock.unlock_reason = reason
    lock.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
    if lock.scope == Lock.FORM:
        FormInstance.objects.filter(pk=lock.form_instance_id).update(locked=False)
    if lock.scope == Lock.DATABASE:
        record_database_lock(None, lock.unlocked_at)
    append_audit(actor=actor.username, action="unlock", model=f"{lock.scope}_lock",
                 object_id=_target(lock), changes={"locked": {"old": True, "new": False}},
                 reason=reason)
    return lock
