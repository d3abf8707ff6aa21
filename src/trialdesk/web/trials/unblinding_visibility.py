"""Who may learn which participant was emergency-unblinded.

An emergency unblinding reveals one participant's arm to the investigator who asked. That the
participant was unblinded is itself worth hiding from the other blinded roles: an analyst who
learns one participant's arm (the unblinding happened, the reason names a reaction typical of one
product) unblinds everyone who shares the coded group. So the flag, the list of events and the
audit records of unblindings go to the requester (for their own requests) and to roles granted
``read_unblinding_events`` (the DSMB, the sponsor's safety contact, an auditor), to no one else.
"""

from __future__ import annotations

from trialdesk.blinding import Permission
from trialdesk.web.core.actor import Actor
from trialdesk.web.trials.models import Participant, UnblindingEvent

EMERGENCY_UNBLIND_ACTION = "emergency_unblind"


def sees_unblinding_events(actor: Actor) -> bool:
    """Return True if the actor may see every emergency unblinding (who, when, why; no arm)."""
    return actor.can(Permission.READ_UNBLINDING_EVENTS)


def unblinded_flag(actor: Actor, participant: Participant) -> bool:
    """Return True if the participant was emergency-unblinded and this actor may know it.

    For everyone else the flag reads False for every participant alike: the answer keeps its
    shape, and a flag that some participants carry and others lack would itself be the tell.
    """
    if sees_unblinding_events(actor):
        return participant.unblinded
    # the requester knows already: the arm is on their page
    return bool(participant.unblinded and actor.can(Permission.REQUEST_UNBLINDING)
                and UnblindingEvent.objects.filter(participant=participant,
                                                   requested_by=actor.user).exists())
