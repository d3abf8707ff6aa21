"""Dynamic randomization (minimization): the kit inventory and one allocation at a time.

No list exists in advance. At setup the pharmacy's kits are made: per site and arm a stock of kits
with random codes, numbered in a shuffled order so that no number range belongs to an arm. At
randomization the procedure runs from the committed seed over everyone allocated before, the step
extends the hash chain, and a kit of the chosen arm is drawn at random among the site's unused
ones (the draw is seeded too, so a replay re-derives it). These helpers run inside the caller's
locked write transaction.
"""

from __future__ import annotations

from trialdesk.randomization import (
    DynamicAllocator,
    PriorAllocation,
    RandomSource,
    parse_stratum_key,
    protocol_arms,
    protocol_factors,
)
from trialdesk.randomization.kit_codes import CURRENT, METADATA_KEY
from trialdesk.web.core import clock
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import (
    AllocationListRecord,
    AllocationSlot,
    DynamicAllocationStep,
    Participant,
    ScreeningRecord,
)


def kits_per_arm_per_site(protocol: object, requested: int | None) -> int:
    """Return the stock of each arm at each site: by default the target enrollment, so it lasts."""
    if requested is not None:
        return requested
    configured = protocol.design.randomization.parameters.get("slots_per_stratum")
    return int(configured or protocol.design.target_enrollment)


def commit_dynamic_scheme(seed: bytes, kits_per_arm: int) -> AllocationListRecord:
    """Store the commitment of procedure and seed, and the pre-labelled kit inventory."""
    protocol = get_protocol()
    allocator = DynamicAllocator.from_protocol(protocol, seed)
    arms, _ = protocol_arms(protocol)
    stock = [(site.code, arm) for site in protocol.sites for arm in arms
             for _ in range(kits_per_arm)]
    RandomSource(seed, "kit-order").shuffle(stock)
    codes = CURRENT.generate(len(stock), RandomSource(seed, "kit-codes"))
    # The scheme is recorded beside the specification, not in it: the commitment (the chain's
    # first head) covers the specification only, so it is the same as before issue 14.
    record = AllocationListRecord.objects.create(
        commitment=allocator.commitment, salt="", seed=seed.hex(), created_at=clock.now(),
        metadata={**allocator.specification(), "dynamic": True,
                  "kits_per_arm_per_site": kits_per_arm, METADATA_KEY: CURRENT.name},
    )
    AllocationSlot.objects.bulk_create(
        AllocationSlot(allocation_list=record, sequence=number, stratum=site, arm=arm,
                       kit_code=code)
        for number, ((site, arm), code) in enumerate(zip(stock, codes, strict=True), start=1)
    )
    return record


def participant_levels(protocol: object, screening: ScreeningRecord) -> dict[str, str]:
    """Return the participant's level per factor code, from the stratum fixed at screening."""
    factors = protocol_factors(protocol)
    levels = parse_stratum_key(factors, screening.stratum)
    return {factor.code: level for factor, level in zip(factors, levels, strict=True)}


def allocate_dynamic(
    record: AllocationListRecord, participant: Participant, screening: ScreeningRecord
) -> AllocationSlot:
    """Run the procedure for ``participant``, append the chain step, and return its kit."""
    protocol = get_protocol()
    site = participant.site.code
    arms, _ = protocol_arms(protocol)
    in_stock = set(AllocationSlot.objects.filter(stratum=site, used=False)
                   .values_list("arm", flat=True).distinct())
    # Refuse while any arm is out of stock, whichever arm this participant would get: refusing
    # only when the procedure picks the empty arm would tell the investigator that arm (and that
    # everyone randomized meanwhile has the other).
    if not set(arms) <= in_stock:
        raise Conflict("kits_exhausted",
                       f"the pharmacy of {site} has run out of kits; restock before randomizing")
    allocator = DynamicAllocator.from_protocol(protocol, bytes.fromhex(record.seed))
    earlier = list(DynamicAllocationStep.objects.order_by("index").values("arm", "levels", "head"))
    history = [PriorAllocation(step["arm"], step["levels"]) for step in earlier]
    previous = earlier[-1]["head"] if earlier else allocator.commitment
    levels = participant_levels(protocol, screening)
    step = allocator.next(history, levels, previous)
    # Never the lowest-numbered kit: which kit goes out must not hint at the arm.
    unused = list(AllocationSlot.objects.select_for_update()
                  .filter(stratum=site, arm=step.arm, used=False).order_by("sequence"))
    if not unused:
        raise Conflict("kits_exhausted",
                       f"the pharmacy of {site} has no kit left for this allocation; restock")
    kit = unused[RandomSource(bytes.fromhex(record.seed), "kit", step.index).below(len(unused))]
    DynamicAllocationStep.objects.create(
        index=step.index, participant=participant, levels=levels, arm=step.arm,
        record=step.record, previous_head=step.previous_head, head=step.head,
    )
    return kit
