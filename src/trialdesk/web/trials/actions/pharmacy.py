"""Dispensing a kit (the unblinded pharmacist's ledger)."""

from __future__ import annotations

from collections.abc import Callable

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.trials.models import AllocationSlot, Dispensing

# Checks another app adds before a kit is dispensed (the supply chain's, issue 18: a kit of an
# unreleased lot, expired, quarantined or past its post-thaw window is refused). Each raises
# Conflict or InvalidInput; registered from the app's ``ready`` so that trials imports no app.
DISPENSING_CHECKS: list[Callable[[AllocationSlot, str], None]] = []


def register_dispensing_check(check: Callable[[AllocationSlot, str], None]) -> None:
    """Add ``check(slot, lot)`` to the checks of every dispensing (once)."""
    if check not in DISPENSING_CHECKS:
        DISPENSING_CHECKS.append(check)


@action("record_dispensing", refuse_when_locked=True)
def do_dispense(actor: Actor, slot: AllocationSlot, *, lot: str) -> Dispensing:
    """Record that the kit was dispensed (who, when, which lot); a kit is dispensed once."""
    lot = lot.strip()
    if not lot or len(lot) > 40:
        raise InvalidInput("lot", "is required, at most 40 characters")
    slot = AllocationSlot.objects.select_for_update().get(pk=slot.pk)
    if Dispensing.objects.filter(slot=slot).exists():
        raise Conflict("already_dispensed", f"kit {slot.kit_code} is already dispensed")
    for check in DISPENSING_CHECKS:
        check(slot, lot)
    dispensing = Dispensing.objects.create(
        slot=slot, lot=lot, dispensed_at=clock.now(), dispensed_by=actor.user
    )
    # The lot stays in the pharmacy's ledger (Dispensing), out of the audit trail that blinded
    # monitors and administrators read: product and placebo come from different lots, so the lot
    # would sort the kits by arm.
    append_audit(
        actor=actor.username, action="dispense", model="kit", object_id=slot.kit_code,
        changes={"dispensed": {"old": False, "new": True}},
    )
    return dispensing
