"""Randomization in one locked transaction: the next free slot of the participant's stratum, or
a dynamic procedure's allocation with a kit drawn from the site's stock."""

from __future__ import annotations

from dataclasses import dataclass

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.trials.actions.dynamic import allocate_dynamic
from trialdesk.web.trials.models import (
    AllocationListRecord,
    AllocationSlot,
    Consent,
    Participant,
    Randomization,
    RestrictedAllocationLog,
    ScreeningRecord,
    StratumCursor,
)


@dataclass(frozen=True)
class RandomizationResult:
    """What the randomizing user learns: never the arm."""

    participant: str
    randomization_number: str
    kit_code: str
    randomized_at: str
    repeated: bool = False


def _result(randomization: Randomization, *, repeated: bool) -> RandomizationResult:
    return RandomizationResult(
        participant=randomization.participant.code,
        randomization_number=randomization.number,
        kit_code=randomization.slot.kit_code,
        randomized_at=randomization.randomized_at.isoformat(),
        repeated=repeated,
    )


def _next_slot_of_the_list(stratum: str) -> AllocationSlot:
    cursor = StratumCursor.objects.select_for_update().filter(stratum=stratum).first()
    slot = (
        AllocationSlot.objects.select_for_update()
        .filter(stratum=stratum, used=False)
        .order_by("sequence")
        .first()
    )
    if cursor is None or slot is None:
        raise Conflict("list_exhausted", f"no free slot left in stratum {stratum}")
    cursor.allocated += 1
    cursor.save(update_fields=["allocated"])
    return slot


@action("randomize", refuse_when_locked=True)
def do_randomize(
    actor: Actor, participant: Participant, *, idempotency_key: str | None = None
) -> RandomizationResult:
    """Allocate the next free slot of the participant's stratum, or run the dynamic procedure
    (minimization) and draw a kit of its arm; return number and kit code.

    A retry with the same ``idempotency_key`` returns the first result instead of allocating
    again. Raises Conflict (with a reason code) for an ineligible, unconsented or already
    randomized participant and when the stratum's list is used up.
    """
    if idempotency_key is not None and not 8 <= len(idempotency_key) <= 100:
        raise InvalidInput("idempotency_key", "must be 8 to 100 characters")
    if idempotency_key:
        # no join: a repeat is rare, and _result reads its participant and slot only then
        earlier = Randomization.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.participant_id != participant.pk:
                raise Conflict("idempotency_key_reused",
                               "this idempotency key was used for another participant")
            return _result(earlier, repeated=True)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if Randomization.objects.filter(participant=participant).exists():
        raise Conflict("already_randomized", f"{participant.code} is already randomized")
    screening = ScreeningRecord.objects.get(participant=participant)
    if not screening.eligible:
        raise Conflict("ineligible", f"{participant.code} is not eligible: "
                       + "; ".join(screening.reasons))
    if not Consent.objects.filter(participant=participant).exists():
        raise Conflict("unconsented", f"{participant.code} has no recorded consent")
    scheme = AllocationListRecord.objects.select_for_update().first()
    if scheme is None:
        raise Conflict("no_allocation_list", "no allocation list is loaded")
    if scheme.dynamic:
        slot = allocate_dynamic(scheme, participant, screening)
    else:
        slot = _next_slot_of_the_list(screening.stratum)
    slot.used = True
    slot.save(update_fields=["used"])
    now = clock.now()
    randomization = Randomization.objects.create(
        participant=participant, slot=slot, idempotency_key=idempotency_key or None,
        randomized_at=now, randomized_by=actor.user,
    )
    append_audit(
        actor=actor.username, action="randomize", model="participant", object_id=participant.code,
        changes={"randomization_number": {"old": None, "new": randomization.number},
                 "kit_code": {"old": None, "new": slot.kit_code}},
    )
    RestrictedAllocationLog.objects.create(
        at=now, actor=actor.username, participant_code=participant.code, sequence=slot.sequence,
        stratum=slot.stratum, arm=slot.arm, kit_code=slot.kit_code,
    )
    return _result(randomization, repeated=False)
