"""Final unblinding after database lock: a two-person rule.

The data manager, who locked the data, asks for it with a reason; the DSMB statistician, who already
sees the arms and is independent of data handling, approves it. One person cannot do both. From the
approval on, roles that see arms "after unblinding" (the analyst) see them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.translation import gettext

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.locks import database_locked
from trialdesk.web.outbox.mail import queue_translated_mail
from trialdesk.web.trials.models import FinalUnblinding

REQUEST_PERMISSION = "lock"  # the data manager's: only who locks the data asks to open the arms
APPROVE_PERMISSION = "unblinded_reports"  # the DSMB statistician's


def _notify(compose: Callable[[], tuple[str, str]]) -> None:
    # Who, when and why; never an arm. Queued in the action's transaction and sent by a retried
    # task (outbox.mail), in each recipient's language (``compose``: subject and body in the
    # current one).
    def tagged() -> tuple[str, str]:
        subject, body = compose()
        return f"[trialdesk] {subject}", body

    queue_translated_mail("final_unblinding", tagged, settings.TRIALDESK_NOTIFY_EMAILS)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", "must say why, in at least 10 characters")
    return reason


def _refuse_unless_database_locked() -> None:
    if not database_locked():
        raise Conflict("database_not_locked",
                       "the arms are opened for the final analysis only after database lock")


def current_final_unblinding() -> FinalUnblinding | None:
    """Return the approved final unblinding, else the pending request, else None."""
    return (FinalUnblinding.objects.filter(approved_at__isnull=False).first()
            or FinalUnblinding.objects.order_by("-requested_at").first())


@action(REQUEST_PERMISSION)
def do_request_final_unblinding(actor: Actor, *, reason: str) -> FinalUnblinding:
    """Ask to open the arms for the final analysis (data manager, after database lock)."""
    reason = _reason(reason)
    _refuse_unless_database_locked()
    if FinalUnblinding.trial_unblinded():
        raise Conflict("already_unblinded", "the trial is already unblinded")
    if FinalUnblinding.objects.exists():
        raise Conflict("request_pending", "a final unblinding request awaits approval")
    request = FinalUnblinding.objects.create(requested_by=actor.user, requested_at=clock.now(),
                                             reason=reason)
    append_audit(actor=actor.username, action="request_final_unblinding",
                 model="final_unblinding", object_id=str(request.pk),
                 changes={"state": {"old": "blinded", "new": "requested"}}, reason=reason)
    username = actor.username
    facts = {"user": username, "reason": reason}
    _notify(lambda: (
        gettext("Final unblinding requested"),
        gettext("%(user)s asks to unblind the trial for the final analysis.\nReason: "
                "%(reason)s\nIt takes effect when the DSMB statistician approves it.\n") % facts))
    return request


@action(APPROVE_PERMISSION)
def do_approve_final_unblinding(actor: Actor, *, reason: str) -> FinalUnblinding:
    """Approve the pending request (DSMB statistician, not the requester); the arms open."""
    reason = _reason(reason)
    _refuse_unless_database_locked()
    request = FinalUnblinding.objects.select_for_update().order_by("-requested_at").first()
    if request is None:
        raise Conflict("no_request", "no final unblinding has been requested")
    if request.approved_at is not None:
        raise Conflict("already_unblinded", "the trial is already unblinded")
    if request.requested_by_id == actor.user.pk:
        raise Conflict("same_person", "the approval must come from another person")
    request.approved_by, request.approved_at = actor.user, clock.now()
    request.approval_reason = reason
    request.save(update_fields=["approved_by", "approved_at", "approval_reason"])
    append_audit(actor=actor.username, action="final_unblind", model="final_unblinding",
                 object_id=str(request.pk),
                 changes={"state": {"old": "requested", "new": "unblinded"},
                          "requested_by": {"old": None,
                                           "new": request.requested_by.get_username()}},
                 reason=reason)
    username = actor.username
    facts = {"user": username, "requester": request.requested_by.get_username(),
             "reason": reason}
    _notify(lambda: (
        gettext("Trial unblinded for the final analysis"),
        gettext("%(user)s approved the final unblinding requested by %(requester)s.\n"
                "Reason: %(reason)s\n") % facts))
    return request
