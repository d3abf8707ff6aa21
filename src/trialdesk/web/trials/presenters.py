"""Participant and kit views as plain dicts, shared by the pages and the API.

The arm is added only where :func:`access.may_see_arm` allows it, so a blinded viewer's page or
JSON cannot carry it by accident.
"""

from __future__ import annotations

from typing import Any

from trialdesk.eligibility import evaluate_eligibility
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.access import may_see_arm
from trialdesk.web.trials.models import AllocationSlot, Participant
from trialdesk.web.trials.unblinding_visibility import unblinded_flag


def participant_status(participant: Participant) -> str:
    """Return screen_failed, eligible, consented or randomized."""
    if hasattr(participant, "randomization"):
        return "randomized"
    if not participant.eligible:
        return "screen_failed"
    if hasattr(participant, "consent"):
        return "consented"
    return "eligible"


def arm_label(arm_code: str, language: str) -> str:
    """Return the arm's label in ``language``."""
    return get_protocol().design.arm(arm_code).label.text(language)


def participant_view(
    actor: Actor, participant: Participant, language: str = "en"
) -> dict[str, Any]:
    """Return what this actor may see of one participant."""
    view: dict[str, Any] = {
        "code": participant.code,
        "site": participant.site.code,
        "status": participant_status(participant),
        "eligible": participant.eligible,
        "consented": hasattr(participant, "consent"),
        "screened_at": participant.created_at.isoformat(),
        "randomization_number": None,
        "kit_code": None,
    }
    # true only where the actor may know of the emergency unblinding (requester, DSMB, ...)
    view["unblinded"] = unblinded_flag(actor, participant)
    if hasattr(participant, "randomization"):
        randomization = participant.randomization
        view["randomization_number"] = randomization.number
        view["kit_code"] = randomization.slot.kit_code
        view["randomized_at"] = randomization.randomized_at.isoformat()
        if may_see_arm(actor, participant):
            view["arm"] = randomization.slot.arm
            view["arm_label"] = arm_label(randomization.slot.arm, language)
    return view


def eligibility_view(values: dict[str, Any], language: str) -> dict[str, Any]:
    """Return the eligibility result of screening values, criterion by criterion."""
    result = evaluate_eligibility(get_protocol(), values, language=language)
    return {
        "eligible": result.eligible,
        "complete": result.complete,
        "criteria": [
            {"code": c.code, "kind": c.kind, "text": c.text, "status": c.status,
             "missing_fields": list(c.missing_fields)}
            for c in result.criteria
        ],
        "missing_fields": result.missing_fields,
        "reasons": result.reasons,
    }


def kit_view(slot: AllocationSlot, language: str) -> dict[str, Any]:
    """Return a kit with its arm: only for callers that passed ``access_kit_by_code``."""
    dispensing = getattr(slot, "dispensing", None)
    return {
        "kit_code": slot.kit_code,
        "participant": slot.randomization.participant.code,
        "site": slot.randomization.participant.site.code,
        "arm": slot.arm,
        "arm_label": arm_label(slot.arm, language),
        "dispensed": dispensing is not None,
        "lot": dispensing.lot if dispensing else None,
        "dispensed_at": dispensing.dispensed_at.isoformat() if dispensing else None,
    }
