"""Locks on a form, a participant or the whole database; unlocking needs a reason.

Before a lock the checklist of its scope (``core.lock_checklist``: open queries, missing, draft and
unsigned forms, unresolved serious adverse events, uncoded terms, and what other apps register)
must be empty, else the lock is refused with the list (``LockRefused``). A lock despite outstanding
items is an override, a two-person rule (ICH E6 and 21 CFR 11 e-signatures): the data manager
requests it with a reason and their password, and the principal investigator, another person,
confirms it with theirs; each step is audited with the checklist it saw, and the lock keeps the
checklist it was applied with.
"""

from __future__ import annotations

from typing import Any

from trialdesk.web.capture.actions.signatures import check_signing_password
from trialdesk.web.capture.lock_readiness import (
    LockRefused,
    checklist_snapshot,
    item_keys,
    lock_scope,
    target_name,
)
from trialdesk.web.capture.models import COMPLETE, FormInstance, Lock, LockOverride
from trialdesk.web.capture.state import active_database_lock, participant_locked
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.locks import record_database_lock
from trialdesk.web.trials.models import FinalUnblinding, Participant

REQUEST_PERMISSION = "lock"  # the data manager's
CONFIRM_PERMISSION = "confirm_lock_override"  # the principal investigator's
REASON_MIN = 10


def _target(lock: Lock | LockOverride) -> str:
    return target_name(lock.scope, lock.participant, lock.form_instance)


def _lockable(scope: str, participant: Participant | None,
              instance: FormInstance | None) -> tuple[Participant | None, FormInstance | None]:
    """Check that the scope's target exists and may be locked now; return it as stored."""
    if active_database_lock() is not None:
        raise Conflict("database_locked", "the database is locked already")
    if scope == Lock.FORM:
        if instance is None:
            raise InvalidInput("form", "is required to lock a form")
        # the form row alone: FOR UPDATE cannot take the nullable side of a join (PostgreSQL)
        instance = FormInstance.objects.select_for_update(of=("self",)).select_related(
            "participant").get(pk=instance.pk)
        if instance.locked:
            raise Conflict("form_locked", f"the form {instance.key} is locked already")
        if instance.status != COMPLETE:
            raise Conflict("not_complete", f"{instance.key} must be complete before it is locked")
        return instance.participant, instance
    if scope == Lock.PARTICIPANT:
        if participant is None:
            raise InvalidInput("participant", "is required to lock a participant")
        if participant_locked(participant):
            raise Conflict("participant_locked", f"{participant.code} is locked already")
        return participant, None
    if scope != Lock.DATABASE:
        raise InvalidInput("scope", "must be form, participant or database")
    return None, None


def _apply(actor: Actor, scope: str, participant: Participant | None,
           instance: FormInstance | None, reason: str, snapshot: dict[str, Any],
           override: dict[str, Any] | None = None) -> Lock:
    if instance is not None:
        instance.locked = True
        instance.save(update_fields=["locked"])
    lock = Lock.objects.create(scope=scope, locked_at=clock.now(), locked_by=actor.user,
                               reason=reason, participant=participant, form_instance=instance,
                               checklist=snapshot)
    if scope == Lock.DATABASE:
        record_database_lock(lock.pk, lock.locked_at)
    changes: dict[str, Any] = {"locked": {"old": False, "new": True},
                               "checklist": {"old": None, "new": snapshot}}
    if override is not None:
        changes["override"] = {"old": None, "new": override}
    append_audit(actor=actor.username, action="lock", model=f"{scope}_lock",
                 object_id=_target(lock), changes=changes, reason=reason)
    return lock


@action(REQUEST_PERMISSION)
def do_lock(
    actor: Actor,
    scope: str,
    *,
    participant: Participant | None = None,
    instance: FormInstance | None = None,
    reason: str = "",
) -> Lock:
    """Lock a complete form, a participant's data, or the database (data manager), when the
    scope's checklist is empty; else refuse with the outstanding items (``LockRefused``)."""
    participant, instance = _lockable(scope, participant, instance)
    snapshot = checklist_snapshot(lock_scope(scope, participant, instance))
    if snapshot["outstanding"]:
        raise LockRefused(target_name(scope, participant, instance), snapshot)
    return _apply(actor, scope, participant, instance, reason.strip(), snapshot)


def _override_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < REASON_MIN:
        raise InvalidInput("reason", f"must say why, in at least {REASON_MIN} characters")
    return reason


def _check_requester_password(actor: Actor, scope: str, *, password: str = "",
                              **_: object) -> None:
    # the signing password, counted and throttled as for signatures (one throttle per account)
    check_signing_password(actor, password, f"lock override ({scope})")


@action(REQUEST_PERMISSION, before=_check_requester_password)
def do_request_lock_override(
    actor: Actor,
    scope: str,
    *,
    participant: Participant | None = None,
    instance: FormInstance | None = None,
    reason: str,
    password: str,
) -> LockOverride:
    """Ask to lock despite the outstanding items (data manager, password re-entered); the lock
    is applied only when the principal investigator confirms."""
    reason = _override_reason(reason)
    participant, instance = _lockable(scope, participant, instance)
    snapshot = checklist_snapshot(lock_scope(scope, participant, instance))
    if not snapshot["outstanding"]:
        raise Conflict("checklist_clean", "nothing is outstanding: lock it without an override")
    if LockOverride.objects.filter(status=LockOverride.PENDING, scope=scope,
                                   participant=participant, form_instance=instance).exists():
        raise Conflict("override_pending", "an override of this lock awaits confirmation")
    override = LockOverride.objects.create(
        scope=scope, participant=participant, form_instance=instance, reason=reason,
        requested_checklist=snapshot, requested_at=clock.now(), requested_by=actor.user)
    append_audit(actor=actor.username, action="request_lock_override", model=f"{scope}_lock",
                 object_id=_target(override),
                 changes={"override": {"old": None, "new": LockOverride.PENDING},
                          "checklist": {"old": None, "new": snapshot}},
                 reason=reason)
    return override


def _pending(override: LockOverride) -> LockOverride:
    # the override row alone: FOR UPDATE cannot take the nullable side of a join (PostgreSQL)
    override = LockOverride.objects.select_for_update(of=("self",)).select_related(
        "participant", "form_instance__participant", "requested_by").get(pk=override.pk)
    if override.status != LockOverride.PENDING:
        raise Conflict("override_closed", f"this override was {override.status} already")
    return override


def _check_confirmer_password(actor: Actor, override: LockOverride, *, password: str = "",
                              **_: object) -> None:
    check_signing_password(actor, password, f"lock override {override.pk}")


@action(CONFIRM_PERMISSION, before=_check_confirmer_password)
def do_confirm_lock_override(actor: Actor, override: LockOverride, *, password: str) -> Lock:
    """Confirm a requested override (principal investigator, password re-entered, not the
    requester): the lock is applied with the checklist as it is now.

    Refused if items appeared that the request did not list: the investigator confirms what the
    data manager asked for, not what came after.
    """
    override = _pending(override)
    if override.requested_by_id == actor.user.pk:
        raise Conflict("same_person", "the override must be confirmed by another person")
    participant, instance = _lockable(override.scope, override.participant,
                                      override.form_instance)
    snapshot = checklist_snapshot(lock_scope(override.scope, participant, instance))
    now, asked = item_keys(snapshot), item_keys(override.requested_checklist)
    new = sorted((check, subject) for subject, check in now.items() if subject not in asked)
    if new:
        listed = ", ".join(f"{check}: {subject}" for check, subject in new[:5])
        raise Conflict("checklist_changed", f"{len(new)} items are outstanding that the request "
                       f"did not list ({listed}): the data manager must request again")
    now = clock.now()
    requester = override.requested_by.get_username()
    lock = _apply(actor, override.scope, participant, instance, override.reason, snapshot,
                  override={"id": override.pk, "requested_by": requester,
                            "confirmed_by": actor.username})
    override.status, override.lock = LockOverride.APPLIED, lock
    override.confirmed_checklist = snapshot
    override.decided_at, override.decided_by = now, actor.user
    override.save(update_fields=["status", "lock", "confirmed_checklist", "decided_at",
                                 "decided_by"])
    append_audit(actor=actor.username, action="confirm_lock_override",
                 model=f"{override.scope}_lock", object_id=_target(override),
                 changes={"override": {"old": LockOverride.PENDING, "new": LockOverride.APPLIED},
                          "requested_by": {"old": None, "new": requester},
                          "checklist": {"old": override.requested_checklist, "new": snapshot}},
                 reason=override.reason)
    return lock


@action((REQUEST_PERMISSION, CONFIRM_PERMISSION))
def do_close_lock_override(actor: Actor, override: LockOverride, *, reason: str) -> LockOverride:
    """End a pending override without a lock: the principal investigator declines it, or the
    data manager withdraws it; the reason is required."""
    reason = _override_reason(reason)
    override = _pending(override)
    declines = actor.can(CONFIRM_PERMISSION) and override.requested_by_id != actor.user.pk
    status = LockOverride.DECLINED if declines else LockOverride.WITHDRAWN
    override.status, override.decided_at, override.decided_by = status, clock.now(), actor.user
    override.decision_note = reason
    override.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    append_audit(actor=actor.username, action=f"{status}_lock_override",
                 model=f"{override.scope}_lock", object_id=_target(override),
                 changes={"override": {"old": LockOverride.PENDING, "new": status}},
                 reason=reason)
    return override


@action(REQUEST_PERMISSION)
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


__all__ = ["LockRefused", "do_close_lock_override", "do_confirm_lock_override", "do_lock",
           "do_request_lock_override", "do_unlock"]
