"""Participant and kit views as plain dicts, shared by the pages and the API.

The arm is added only where :func:`access.may_see_arm` allows it, so a blinded viewer's page or
JSON cannot carry it by accident.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from trialdesk.eligibility import evaluate_eligibility
from trialdesk.protocol import Protocol
from trialdesk.protocol.units import unit_text
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.access import may_see_arm
from trialdesk.web.trials.kits import kit_holder, replacement_kit
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
        # the kit to give: a replacement's (issue 18) once the randomization's was replaced
        kit = replacement_kit(participant) or randomization.slot
        view["kit_code"] = kit.kit_code
        view["randomized_at"] = randomization.randomized_at.isoformat()
        if may_see_arm(actor, participant):
            view["arm"] = randomization.slot.arm
            view["arm_label"] = arm_label(randomization.slot.arm, language)
    return view


def eligibility_view(values: dict[str, Any], language: str,
                     protocol: Protocol | None = None) -> dict[str, Any]:
    """Return the eligibility result of screening values, criterion by criterion, under
    ``protocol`` (a screening's version, ``trials.screening_version``; default the running one)."""
    protocol = protocol or get_protocol()
    result = evaluate_eligibility(protocol, values, language=language)
    return {
        "eligible": result.eligible,
        "complete": result.complete,
        "criteria": [
            {"code": c.code, "kind": c.kind, "text": c.text, "status": c.status,
             "missing_fields": list(c.missing_fields),
             # what keeps the patient out, with the values the rule read (the screen shows them)
             "failing": (c.kind, c.status) in (("inclusion", "not_met"), ("exclusion", "met")),
             "values_read": _values_read(protocol, c.code, result.values, language)}
            for c in result.criteria
        ],
        "missing_fields": result.missing_fields,
        "reasons": result.reasons,
    }


def _values_read(protocol: Any, criterion_code: str, values: dict[str, Any],
                 language: str) -> list[dict[str, Any]]:
    """The entered (or derived) values a criterion's rule reads, labelled, in the rule's order
    of field names."""
    criteria = [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]
    criterion = next(c for c in criteria if c.code == criterion_code)
    fields = protocol.all_fields()
    read = []
    for name in sorted(criterion.expression.names()):
        if name not in values or values[name] in (None, ""):
            continue
        field = fields.get(name)
        label = field.label.text(language) if field else name
        unit = unit_text(field.unit, language) if field else ""
        read.append({"field": name, "label": label, "value": values[name], "unit": unit})
    return read


# what comes next for a participant in each state, and the permission of whoever does it
NEXT_STEPS = {
    "screen_failed": (gettext_lazy("Not eligible: screening ends here, nothing more to do."),
                      None),
    "eligible": (gettext_lazy("Next: record consent, the patient's own or a legally authorized "
                              "representative's."), "enroll"),
    "consented": (gettext_lazy("Next: randomize the participant."), "randomize"),
    "randomized": (gettext_lazy("Next: the visits and their forms, entered as the schedule "
                                "comes due."), "enter_forms"),
}


def next_step(actor: Actor, status: str, language: str) -> dict[str, Any]:
    """What happens next to a participant in ``status``, who does it (the roles holding the
    permission), and whether that is the viewer."""
    text, permission = NEXT_STEPS[status]
    return step(actor, status, str(text), permission, language)


def step(actor: Actor, stage: str, text: str, permission: str | None, language: str
         ) -> dict[str, Any]:
    """A next step as the participant page shows it: the participant's ``stage`` (a status
    code, shown as a badge), what comes next and who does it (the roles holding
    ``permission``; none when nothing is left to do), and whether that is the viewer."""
    if permission is None:
        return {"stage": stage, "text": text, "who": [], "yours": False}
    protocol = get_protocol()
    who = [role.name.text(language) for role in protocol.roles
           if actor.policy.has_permission(role.code, permission)]
    return {"stage": stage, "text": text, "who": who, "yours": actor.can(permission)}


def kit_view(slot: AllocationSlot, language: str) -> dict[str, Any]:
    """Return a kit with its arm: only for callers that passed ``access_kit_by_code``."""
    dispensing = getattr(slot, "dispensing", None)
    holder = kit_holder(slot)  # by randomization, or a replacement's (issue 18)
    return {
        "kit_code": slot.kit_code,
        "participant": holder.code if holder else None,
        "site": holder.site.code if holder else None,
        "arm": slot.arm,
        "arm_label": arm_label(slot.arm, language),
        "dispensed": dispensing is not None,
        "lot": dispensing.lot if dispensing else None,
        "dispensed_at": dispensing.dispensed_at.isoformat() if dispensing else None,
    }
