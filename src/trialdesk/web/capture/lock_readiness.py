"""The lock checklist of one scope as stored and shown: a snapshot (counts and items by check).

The same snapshot is refused with (``LockRefused``), kept on the lock and the override request,
written into their audit records, answered by the API and rendered by the readiness page, so all
of them say the same thing. Labels stay in English here; pages translate them.
"""

from __future__ import annotations

from typing import Any

from trialdesk.web.capture.access import access_form_slot
from trialdesk.web.capture.models import FormInstance, Lock, LockOverride
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.lock_checklist import (
    LockScope,
    lock_checklist,
    lock_checks,
    outstanding,
)
from trialdesk.web.trials.access import access_participant_by_code
from trialdesk.web.trials.models import Participant

SEES_CHECKLIST = ("lock", "confirm_lock_override")  # the data manager and the PI


def lock_scope(kind: str, participant: Participant | None = None,
               instance: FormInstance | None = None) -> LockScope:
    return LockScope(kind, participant=participant, instance=instance)


def checklist_snapshot(scope: LockScope) -> dict[str, Any]:
    """``{"outstanding": n, "checks": [{"code", "label", "count", "items": [...]}]}``."""
    found = lock_checklist(scope)
    labels = {check.code: check.label for check in lock_checks()}
    return {
        "outstanding": outstanding(found),
        "checks": [{"code": code, "label": labels[code], "count": len(items),
                    "items": [{"subject": item.subject, "detail": item.detail} for item in items]}
                   for code, items in found.items()],
    }


def item_keys(snapshot: dict[str, Any]) -> dict[str, str]:
    """Subject -> check of each outstanding item: what an override was asked for. A subject
    listed before is the same item even if its detail or check changed since (a query answered,
    a missing form begun as a draft): progress, not a new problem."""
    return {item["subject"]: check["code"]
            for check in snapshot.get("checks", []) for item in check["items"]}


def summary(snapshot: dict[str, Any], limit: int = 5) -> str:
    """One line for an error message: each check with items, its count and first subjects."""
    parts = []
    for check in snapshot["checks"]:
        if check["count"]:
            shown = ", ".join(item["subject"] for item in check["items"][:limit])
            more = f" and {check['count'] - limit} more" if check["count"] > limit else ""
            parts.append(f"{check['label']} ({check['count']}): {shown}{more}")
    return "; ".join(parts)


class LockRefused(Conflict):
    """A lock refused because the checklist of its scope has outstanding items."""

    def __init__(self, target: str, snapshot: dict[str, Any]) -> None:
        count = snapshot["outstanding"]
        items = "1 item is" if count == 1 else f"{count} items are"
        super().__init__("checklist_outstanding",
                         f"{target} cannot be locked: {items} outstanding: {summary(snapshot)}")
        self.target = target
        self.checklist = snapshot


def target_name(scope: str, participant: Participant | None,
                instance: FormInstance | None) -> str:
    """The name audit records and messages use for what a lock covers."""
    if scope == Lock.FORM and instance is not None:
        return instance.key
    if scope == Lock.PARTICIPANT and participant is not None:
        return participant.code
    return "database"


def resolve_target(actor: Actor, scope: str, code: str | None, visit: str | None = None,
                   form: str | None = None, seq: int = 1
                   ) -> tuple[Participant | None, FormInstance | None]:
    """The participant and form a scope names, through the access checks (NotFound alike for a
    record that does not exist and one the actor may not see)."""
    if scope == Lock.DATABASE:
        return None, None
    if scope not in (Lock.PARTICIPANT, Lock.FORM):
        raise InvalidInput("scope", "must be form, participant or database")
    if not code:
        raise InvalidInput("participant", f"is required for a {scope} scope")
    if scope == Lock.PARTICIPANT:
        return access_participant_by_code(actor, code), None
    if not (visit and form):
        raise InvalidInput("form", "visit and form are required for a form scope")
    slot = access_form_slot(actor, code, visit, form, seq)
    if slot.instance is None:
        raise NotFound("nothing entered on this form")
    return slot.participant, slot.instance


def access_override(actor: Actor, override_id: int) -> LockOverride:
    """An override request, for the data manager and the PI; NotFound for everyone else."""
    override = LockOverride.objects.select_related(
        "participant", "form_instance__participant", "requested_by", "decided_by").filter(
        pk=override_id).first()
    if override is None or not actor.can_any(SEES_CHECKLIST):
        raise NotFound(f"no lock override {override_id}")
    return override


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def override_view(override: LockOverride) -> dict[str, Any]:
    return {
        "id": override.pk, "scope": override.scope,
        "target": target_name(override.scope, override.participant, override.form_instance),
        "participant": override.participant.code if override.participant else None,
        "form": override.form_instance.key if override.form_instance else None,
        "reason": override.reason, "status": override.status,
        "requested_by": override.requested_by.get_username(),
        "requested_at": _iso(override.requested_at),
        "requested_checklist": override.requested_checklist,
        "decided_by": override.decided_by.get_username() if override.decided_by else None,
        "decided_at": _iso(override.decided_at), "decision_note": override.decision_note,
        "confirmed_checklist": override.confirmed_checklist or None,
        "lock": override.lock_id,
    }
