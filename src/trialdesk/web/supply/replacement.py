"""Replacing a participant's kit (issue 18): a kit damaged, expired, past its post-thaw window or
held in quarantine after it was assigned is replaced by another usable kit of the same arm at the
same site, as interactive response systems do. The site asks (the investigator, blinded, or the
pharmacist); the answer is the new kit's code and nothing else.

The replacement kit is an allocation slot of the site that no participant holds yet (each kit
is one). It is taken out of the allocation (marked used) so that no later participant is given a
kit that is gone: its stratum's next participant gets the slot after it, and the block it was in
ends one kit of that arm short, an imbalance bounded by the number of replacements.
"""

from __future__ import annotations

import secrets

from trialdesk.randomization.from_protocol import protocol_arms
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.supply.inventory import kit_problems, supply_in_use
from trialdesk.web.supply.models import CODE_MAX, TEXT_MAX, Infusion, KitLot, KitReplacement
from trialdesk.web.trials.actions.slots import mark_used
from trialdesk.web.trials.kits import assigned_kit, kit_holder, typed_kit_code
from trialdesk.web.trials.models import AllocationSlot, Participant

# the site's roles that hand out kits: the investigator who randomizes, the pharmacist
REPLACE = ("randomize", "record_dispensing")


def access_assigned_kit(actor: Actor, kit_code: str) -> AllocationSlot:
    """The kit named, when it was given to a participant of the actor's site; NotFound with one
    text for every other code (another site's kit, an unallocated one, any text), so that the
    answer tells nothing of kits the actor may not know."""
    slot = AllocationSlot.objects.filter(kit_code=typed_kit_code(str(kit_code)),
                                         used=True).first()
    holder = kit_holder(slot) if slot is not None and actor.can_any(REPLACE) else None
    if holder is None or (actor.site is not None and holder.site.code != actor.site):
        raise NotFound(f"no kit {str(kit_code)[:CODE_MAX]}")
    return slot


def _spares(site_code: str, arm: str) -> list[AllocationSlot]:
    """The site's kits of ``arm`` that no participant holds and that may be used now."""
    now = clock.now()
    kits = (KitLot.objects.select_related("slot")
            .filter(site__code=site_code, slot__used=False, slot__arm=arm)
            .order_by("slot__sequence"))
    return [kit.slot for kit in kits if not kit_problems(kit.slot, now)]


def replacement_of(participant_id: int) -> AllocationSlot | None:
    """The kit that last replaced the participant's (registered with ``trials.kits``)."""
    replacement = (KitReplacement.objects.select_related("new_slot")
                   .filter(participant_id=participant_id).order_by("-pk").first())
    return replacement.new_slot if replacement is not None else None


def holder_of(slot: AllocationSlot) -> Participant | None:
    """The participant a kit was handed to as a replacement (registered with ``trials.kits``)."""
    replacement = (KitReplacement.objects.select_related("participant__site")
                   .filter(new_slot=slot).first())
    return replacement.participant if replacement is not None else None


@action(REPLACE, refuse_when_locked=True)  # which kit a participant is given: clinical data
def do_replace_kit(actor: Actor, slot: AllocationSlot, *, reason: str,
                   note: str = "") -> KitReplacement:
    """Replace the participant's current kit ``slot`` with a usable kit of the same arm at the
    participant's site; the old kit is marked replaced, the new one becomes the assigned kit."""
    if reason not in KitReplacement.REASONS:
        raise InvalidInput("reason", f"must be one of {', '.join(KitReplacement.REASONS)}")
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise InvalidInput("note", f"must be at most {TEXT_MAX} characters")
    slot = AllocationSlot.objects.select_for_update().get(pk=slot.pk)
    participant = kit_holder(slot)
    current = assigned_kit(participant) if participant is not None else None
    if current is None or current.pk != slot.pk:
        raise Conflict("already_replaced", f"kit {slot.kit_code} was already replaced: name "
                                           "the participant's current kit")
    if Infusion.objects.filter(preparation__slot=slot).exists():
        raise Conflict("already_infused", f"kit {slot.kit_code} was infused: it cannot be "
                                          "replaced")
    if not supply_in_use():
        raise Conflict("no_supply", "the trial records no product lots: kits are not replaced "
                                    "here")
    site = participant.site.code
    arms, _ = protocol_arms(get_protocol())
    spares = {arm: _spares(site, arm) for arm in arms}
    # Refuse while any arm has no spare, whichever arm this kit is of: refusing only when this
    # kit's arm ran out would tell the site which of its participants share an arm (the same
    # rule as a dynamic allocation's stock, trials.actions.dynamic).
    if not all(spares.values()):
        raise Conflict("no_replacement_kit", f"the pharmacy of {site} has no usable kit to "
                                             "replace it with: resupply first")
    # A uniform, unpredictable draw from the operating system's generator, not the first spare
    # in list order: the order of the site's kits follows the allocation list, so "the next
    # kit" would let someone who saw earlier replacements and allocations pair codes with arms;
    # a seeded draw would let whoever holds the seed do the same.
    new = secrets.choice(spares[slot.arm])
    mark_used(new.pk)
    replacement = KitReplacement.objects.create(
        participant=participant, old_slot=slot, new_slot=new, reason=reason, note=note,
        problems=kit_problems(slot), recorded_by=actor.user, recorded_at=clock.now())
    # which kit replaced which, and no reason: a reason such as "expired" is a lot's fact, and
    # kits of one lot are of one arm (the stated reason stays in this app's table)
    append_audit(actor=actor.username, action="replace_kit", model="kit",
                 object_id=slot.kit_code,
                 changes={"replaced_by": {"old": None, "new": new.kit_code}})
    return replacement
