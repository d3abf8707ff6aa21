"""The lock checklist and lock overrides in the JSON API, under /api/v1/locks/.

``GET /locks/checklist?scope=...`` answers what is outstanding before a lock of that scope; a
refused lock (``POST /locks``) answers 409 with the same list. An override is requested by the
data manager (``POST /locks/overrides``, with their password) and confirmed by the principal
investigator (``POST /locks/overrides/{id}/confirm``, with theirs), or declined or withdrawn
(``.../close``). No answer names an arm: the checks read none.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Status
from pydantic import Field

from trialdesk.web.capture import actions, presenters
from trialdesk.web.capture.lock_readiness import (
    SEES_CHECKLIST,
    LockRefused,
    access_override,
    checklist_snapshot,
    lock_scope,
    override_view,
    resolve_target,
    target_name,
)
from trialdesk.web.capture.models import LockOverride
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.schemas import Strict

router = Router(tags=["capture"])


class OverrideIn(Idempotent):
    scope: Literal["form", "participant", "database"]
    participant: str | None = Field(default=None, max_length=40)
    visit: str | None = Field(default=None, max_length=40)
    form: str | None = Field(default=None, max_length=40)
    seq: int = Field(default=1, ge=1, le=10_000)
    reason: str = Field(max_length=2000)
    password: str = Field(max_length=200)


class ConfirmIn(Idempotent):
    password: str = Field(max_length=200)


class CloseIn(Strict):
    reason: str = Field(max_length=2000)


def install_lock_refusal(api: NinjaAPI) -> None:
    """Answer a lock refused by its checklist (``POST /locks``, an override's confirmation) with
    409 in the API's error shape plus the checklist, counts and items, for a program to act on."""

    @api.exception_handler(LockRefused)
    def refused(request: HttpRequest, error: LockRefused) -> HttpResponse:
        return api.create_response(request, {
            "error": error.reason, "detail": error.message, "target": error.target,
            "checklist": error.checklist}, status=409)


@router.get("/locks/checklist")
@endpoint(SEES_CHECKLIST)
def checklist(request: HttpRequest, scope: Literal["form", "participant", "database"],
              participant: str | None = None, visit: str | None = None,
              form: str | None = None, seq: int = 1) -> dict[str, Any]:
    """What must be settled before a lock of the scope: counts and items by check."""
    actor = request_actor(request)
    person, instance = resolve_target(actor, scope, participant, visit, form, seq)
    return {"scope": scope, "target": target_name(scope, person, instance),
            **checklist_snapshot(lock_scope(scope, person, instance))}


@router.get("/locks/overrides")
@endpoint(SEES_CHECKLIST)
def list_overrides(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    """Lock overrides, newest first (``status=pending``: those awaiting the PI)."""
    overrides = LockOverride.objects.select_related(
        "participant", "form_instance__participant", "requested_by", "decided_by"
    ).order_by("-requested_at", "-pk")
    if status:
        overrides = overrides.filter(status=status)
    return [override_view(override) for override in overrides[:500]]


def _check_requester_first(request: HttpRequest, body: OverrideIn) -> None:
    # the password's check (audited, throttled) before an idempotency key's transaction
    actions.do_request_lock_override.before(request_actor(request), body.scope,
                                            password=body.password)


def _check_confirmer_first(request: HttpRequest, override_id: int, body: ConfirmIn) -> None:
    actor = request_actor(request)
    actions.do_confirm_lock_override.before(actor, access_override(actor, override_id),
                                            password=body.password)


@router.post("/locks/overrides", response={201: dict})
@endpoint("lock")
@idempotent("capture.request_lock_override", before=_check_requester_first)
def request_override(request: HttpRequest, body: OverrideIn) -> Status:
    """Ask to lock despite outstanding items (data manager, password re-entered)."""
    actor = request_actor(request)
    person, instance = resolve_target(actor, body.scope, body.participant, body.visit, body.form,
                                      body.seq)
    override = actions.do_request_lock_override(actor, body.scope, participant=person,
                                                instance=instance, reason=body.reason,
                                                password=body.password)
    return Status(201, override_view(access_override(actor, override.pk)))


@router.post("/locks/overrides/{override_id}/confirm", response={201: dict})
@endpoint("confirm_lock_override")
@idempotent("capture.confirm_lock_override", before=_check_confirmer_first)
def confirm_override(request: HttpRequest, override_id: int, body: ConfirmIn) -> Status:
    """Confirm a requested override (principal investigator, not the requester, password
    re-entered): the lock is applied; answers the lock."""
    actor = request_actor(request)
    lock = actions.do_confirm_lock_override(actor, access_override(actor, override_id),
                                            password=body.password)
    return Status(201, {**presenters.lock_view(lock), "override": override_id})


@router.post("/locks/overrides/{override_id}/close")
@endpoint(SEES_CHECKLIST)
def close_override(request: HttpRequest, override_id: int, body: CloseIn) -> dict[str, Any]:
    """Decline (principal investigator) or withdraw (data manager) a pending override."""
    actor = request_actor(request)
    override = actions.do_close_lock_override(actor, access_override(actor, override_id),
                                              reason=body.reason)
    return override_view(access_override(actor, override.pk))
