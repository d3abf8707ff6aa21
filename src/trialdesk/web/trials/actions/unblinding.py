"""Emergency unblinding of one participant for the requesting investigator."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.outbox.mail import queue_translated_mail
from trialdesk.web.trials.models import Participant, Randomization, UnblindingEvent


def _notify(participant_code: str, username: str, reason: str) -> None:
    # The message names who and why, never the arm: the sponsor stays blinded. Queued in the
    # action's transaction and sent by a retried task (outbox.mail), in each recipient's language.
    facts = {"participant": participant_code, "user": username, "reason": reason}
    queue_translated_mail(
        "emergency_unblinding",
        lambda: (gettext("[trialdesk] Emergency unblinding of %(participant)s") % facts,
                 gettext("%(user)s unblinded participant %(participant)s.\nReason: %(reason)s\n")
                 % facts),
        settings.TRIALDESK_NOTIFY_EMAILS)


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
    _notify(participant.code, actor.username, reason)
    return randomization.slot.arm
