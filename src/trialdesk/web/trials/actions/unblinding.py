"""Emergency unblinding of one participant for the requesting investigator."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.trials.models import Participant, Randomization, UnblindingEvent


def _notify(participant_code: str, username: str, reason: str) -> None:
    # The message names who and why, never the arm: the sponsor stays blinded.
    send_mail(
        subject=f"[trialdesk] Emergency unblinding of {participant_code}",
        message=f"{username} unblinded participant {participant_code}.\nReason: {reason}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=list(settings.TRIALDESK_NOTIFY_EMAILS),
        fail_silently=True,
    )


@action("request_unblinding", refuse_when_locked=True)
def do_unblind(actor: Actor, participant: Participant, *, reason: str) -> str:
    """Reveal the participant's arm to this actor; flag, audit, notify; return the arm code."""
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", "must say why, in at least 10 characters")
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    randomization = (
        Randomization.objects.select_related("slot").filter(participant=participant).first()
    )
    if randomization is None:
        raise Conflict("not_randomized", f"{participant.code} is not randomized")
    UnblindingEvent.objects.create(
        participant=participant, requested_by=actor.user, reason=reason, at=clock.now()
    )
    was = participant.unblinded
    participant.unblinded = True
    participant.save(update_fields=["unblinded"])
    append_audit(
        actor=actor.username, action="emergency_unblind", model="participant",
        object_id=participant.code, changes={"unblinded": {"old": was, "new": True}}, reason=reason,
    )
    code, username = participant.code, actor.username
    transaction.on_commit(lambda: _notify(code, username, reason))
    return randomization.slot.arm
