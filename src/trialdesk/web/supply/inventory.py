"""Which kits may be used, and each site's stock per arm (issue 18).

A kit is usable when its lot is released and not expired, it is not held in quarantine or
destroyed, and, once thawed, its post-thaw window has not passed. Shipment and dispensing refuse
any other kit. The refusals name the kit and the rule, never the lot's product or an arm.

Supply tracking starts with the first lot registered: before it, kits are dispensed as they were
before issue 18 (a trial that records no lots); after it, a kit without a lot is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Min

from trialdesk.randomization.from_protocol import protocol_arms
from trialdesk.web.core import clock
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.supply.models import KitLot, KitReplacement, Lot, Preparation, Quarantine
from trialdesk.web.trials.models import AllocationListRecord, AllocationSlot

# why a kit may not be used, by code: the text every refusal gives
PROBLEMS = {
    "no_lot": "has no lot recorded",
    "lot_not_released": "is of a lot that is not released",
    "expired": "is past its lot's expiry date",
    "quarantined": "is held in quarantine after a temperature excursion",
    "destroyed": "was destroyed",
    "post_thaw_expired": "is past its post-thaw window",
    "not_received": "has not been received at a site",
    "replaced": "was replaced by another kit",
}


def supply_in_use() -> bool:
    """Whether the trial tracks its product: at least one lot is registered."""
    return Lot.objects.exists()


def kit_problems(slot: AllocationSlot, now: dt.datetime | None = None) -> list[str]:
    """Return the codes of what makes the kit unusable now (empty: usable)."""
    now = now or clock.now()
    kit_lot = KitLot.objects.select_related("lot").filter(slot=slot).first()
    if kit_lot is None:
        return ["no_lot"]
    problems = []
    if kit_lot.lot.status != Lot.RELEASED:
        problems.append("lot_not_released")
    if kit_lot.lot.expires_on < now.date():
        problems.append("expired")
    if Quarantine.objects.filter(slot=slot, resolved_at__isnull=True).exists():
        problems.append("quarantined")
    if kit_lot.destroyed_at is not None:
        problems.append("destroyed")
    use_by = Preparation.objects.filter(slot=slot).values_list("use_by", flat=True).first()
    if use_by is not None and now > use_by:
        problems.append("post_thaw_expired")
    if KitReplacement.objects.filter(old_slot=slot).exists():
        problems.append("replaced")
    return problems


def refuse_unusable(slot: AllocationSlot, *, at_site: bool) -> None:
    """Raise Conflict naming the kit and every rule it breaks (``at_site``: must be received)."""
    problems = kit_problems(slot)
    if at_site and "no_lot" not in problems and KitLot.objects.filter(
            slot=slot, site__isnull=True).exists():
        problems.append("not_received")
    if problems:
        reasons = "; ".join(PROBLEMS[code] for code in problems)
        raise Conflict(problems[0], f"kit {slot.kit_code} {reasons}")


def refuse_unusable_kit_at_dispensing(slot: AllocationSlot, lot: str) -> None:
    """The dispensing check (registered in ``apps.ready``): a usable kit, of the lot named."""
    if not supply_in_use():
        return
    refuse_unusable(slot, at_site=True)
    kit_lot = KitLot.objects.select_related("lot").get(slot=slot)
    if kit_lot.lot.code != lot:
        raise InvalidInput("lot", "must be the lot printed on the kit's label")


def kit_site_code(stratum: str) -> str | None:
    """The site a kit was labelled for: its stratum's level of the site factor."""
    factor = next((f.code for f in get_protocol().design.randomization.strata
                   if f.source == "site"), None)
    levels = dict(part.split("=", 1) for part in stratum.split("|") if "=" in part)
    return levels.get(factor) if factor else None


@dataclass(frozen=True)
class SiteStock:
    """A site's usable kits not yet allocated, per arm in the design's order."""

    site: str
    arms: tuple[str, ...]
    by_arm: tuple[int, ...]
    held: int  # kits at the site held in quarantine
    unusable: int  # kits at the site that are expired, destroyed or of an unreleased lot
    # the kit codes of the next slot of each of the site's strata that the site cannot give now
    next_missing: tuple[str, ...] = ()


def next_kits_missing(site_code: str) -> tuple[str, ...]:
    """The next slot of each of the site's strata whose kit the site cannot give now (not
    received there, or unusable): its kit code, in list order.

    A list procedure gives a stratum's next participant exactly that slot's kit, so a count of
    usable kits per arm can hide a stratum whose next kit is still at the depot (every kit shipped
    may be of the other stratum). A dynamic procedure draws any kit of the arm at the site, so
    the counts per arm are the whole rule there and nothing is added.
    """
    record = AllocationListRecord.objects.order_by("pk").first()
    if record is None or record.dynamic:
        return ()
    free = AllocationSlot.objects.filter(used=False, stratum__contains=f"={site_code}")
    firsts = free.values("stratum").annotate(first=Min("sequence")).values("first")
    now = clock.now()
    missing = []
    for slot in AllocationSlot.objects.filter(sequence__in=firsts).order_by("sequence"):
        if kit_site_code(slot.stratum) != site_code:
            continue  # a level that only contains the site's code
        at_site = KitLot.objects.filter(slot=slot, site__code=site_code).exists()
        if not at_site or kit_problems(slot, now):
            missing.append(slot.kit_code)
    return tuple(missing)


def site_stock(site_code: str) -> SiteStock:
    """Count the site's kits that a next participant could be given, per arm."""
    arms, _ = protocol_arms(get_protocol())
    counts = dict.fromkeys(arms, 0)
    held = unusable = 0
    now = clock.now()
    kits = KitLot.objects.select_related("slot").filter(site__code=site_code, slot__used=False)
    for kit in kits:
        problems = kit_problems(kit.slot, now)
        if not problems:
            counts[kit.slot.arm] = counts.get(kit.slot.arm, 0) + 1
        elif "quarantined" in problems:
            held += 1
        else:
            unusable += 1
    return SiteStock(site_code, tuple(arms), tuple(counts[arm] for arm in arms), held, unusable,
                     next_kits_missing(site_code))


def kit_rows(site_code: str | None = None) -> list[dict[str, object]]:
    """Each kit with its arm, the site it is labelled for, its lot, where it is, whether it is
    allocated and what makes it unusable: the supply manager's view (unblinded)."""
    lots = {row.slot_id: row for row in KitLot.objects.select_related("lot", "site")}
    slots = AllocationSlot.objects.order_by("sequence")
    if site_code:
        slots = slots.filter(stratum__contains=f"={site_code}")
    now = clock.now()
    rows = []
    for slot in slots:
        labelled = kit_site_code(slot.stratum)
        if site_code and labelled != site_code:
            continue
        kit_lot = lots.get(slot.pk)
        rows.append({
            "kit_code": slot.kit_code, "arm": slot.arm, "site": labelled,
            "lot": kit_lot.lot.code if kit_lot else None,
            "location": kit_lot.site.code if kit_lot and kit_lot.site else "depot",
            "allocated": slot.used,
            "problems": kit_problems(slot, now) if kit_lot else ["no_lot"],
        })
    return rows
