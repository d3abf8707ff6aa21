"""The only writers of the supply chain's tables (issue 18). Each runs in one transaction with
its audit record.

The audit trail is read by blinded roles (the administrator, monitors), so its records say what
happened to which kit, lot or shipment without what sorts kits by arm: never a lot's product,
its test results, which lot a kit holds, a viability, a volume or a dose (those stay in this
app's tables, read by unblinded roles); records about a kit use the model ``kit``, which the
redacted trail dates to the day as it does the pharmacy's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from trialdesk.protocol.product import ProductRules
from trialdesk.supply import (
    DoseError,
    Infusion,
    InfusionError,
    Interruption,
    TemperatureLogError,
    check_infusion,
    compute_dose,
    evaluate_release,
    find_excursions,
    read_temperature_log,
)
from trialdesk.web.capture.actions.signatures import check_signing_password
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.supply.inventory import PROBLEMS, kit_problems, kit_site_code, refuse_unusable
from trialdesk.web.supply.models import (
    CODE_MAX,
    TEXT_MAX,
    CustodyTransfer,
    KitLot,
    Lot,
    Preparation,
    Quarantine,
    Shipment,
)
from trialdesk.web.supply.models import (
    Infusion as InfusionRecord,
)
from trialdesk.web.supply.signing import release_meaning
from trialdesk.web.supply.weight import recorded_weight
from trialdesk.web.trials.kits import kit_holder, typed_kit_code
from trialdesk.web.trials.models import AllocationSlot

MANAGE, RELEASE, PHARMACY = "manage_supply", "release_lots", "record_dispensing"


def product_rules() -> ProductRules:
    """The protocol's ``[product]`` section; a trial without one has no supply chain."""
    rules = get_protocol().product
    if rules is None:
        raise Conflict("no_product", "the protocol has no [product] section")
    return rules


def _text(field: str, value: str, maximum: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(field, "is required")
    if len(value) > maximum:
        raise InvalidInput(field, f"must be at most {maximum} characters")
    return value


def _lot_id(lot: Lot) -> str:
    """How the audit trail names a lot: its number, not its code (blinded roles read the trail,
    and the code is what the unblinded records file kits and results under)."""
    return f"lot-{lot.pk}"


def _kits(kit_codes: Sequence[str]) -> list[AllocationSlot]:
    """The kits named, each once; an unknown code is refused by name."""
    if not kit_codes:
        raise InvalidInput("kits", "name at least one kit")
    kits = []
    for typed in kit_codes:
        slot = AllocationSlot.objects.filter(kit_code=typed_kit_code(str(typed))).first()
        if slot is None:
            raise InvalidInput("kits", f"no kit {str(typed)[:CODE_MAX]!r}")
        if slot in kits:
            raise InvalidInput("kits", f"kit {slot.kit_code} is named twice")
        kits.append(slot)
    return kits


@action(MANAGE)
def do_register_lot(actor: Actor, *, code: str, product: str, manufacturer: str,
                    manufactured_on: dt.date, cells_per_ml: float | None = None,
                    notes: str = "", results: Mapping[str, Any] | None = None) -> Lot:
    """Register a lot (pending release) with its manufacturing data and any test results."""
    rules = product_rules()
    code = _text("code", code, CODE_MAX)
    if product not in (Lot.CELLS, Lot.PLACEBO):
        raise InvalidInput("product", "must be cells or placebo")
    if Lot.objects.filter(code=code).exists():
        raise Conflict("duplicate_lot", f"lot {code} is already registered")
    if manufactured_on > clock.today():
        raise InvalidInput("manufactured_on", "must not be in the future")
    # a lot that expired before the trial's earliest date could never be given (and 0001-01-01
    # is a typed year): the earliest plausible manufacture is one shelf life before that date
    made_earliest = get_protocol().earliest_date() - dt.timedelta(days=rules.shelf_life_days)
    if manufactured_on < made_earliest:
        raise InvalidInput("manufactured_on", f"must be on or after {made_earliest.isoformat()} "
                                              "(a lot made earlier expires before the trial)")
    if cells_per_ml is not None and not cells_per_ml > 0:
        raise InvalidInput("cells_per_ml", "must be greater than 0")
    lot = Lot.objects.create(
        code=code, product=product, manufacturer=_text("manufacturer", manufacturer, 200),
        manufactured_on=manufactured_on,
        expires_on=manufactured_on + dt.timedelta(days=rules.shelf_life_days),
        cells_per_ml=cells_per_ml, manufacturing_notes=_text("notes", notes, TEXT_MAX,
                                                             required=False),
        results=_results(rules, results or {}), created_by=actor.user, created_at=clock.now())
    append_audit(actor=actor.username, action="register_lot", model="lot",
                 object_id=_lot_id(lot),
                 changes={"status": {"old": None, "new": Lot.PENDING}})
    return lot


def _results(rules: ProductRules, results: Mapping[str, Any]) -> dict[str, Any]:
    known = {test.code for test in rules.release_tests}
    unknown = sorted(set(results) - known)
    if unknown:
        raise InvalidInput("results", f"unknown release test(s): {', '.join(unknown)}; "
                                      f"known: {', '.join(sorted(known))}")
    for code, value in results.items():
        if not isinstance(value, int | float | str | bool) or (isinstance(value, str) and (
                len(value) > 40)):
            raise InvalidInput(f"results.{code}", "must be a number, pass/fail or true/false")
    return dict(results)


@action(MANAGE)
def do_record_results(actor: Actor, lot: Lot, *, results: Mapping[str, Any]) -> Lot:
    """Add or correct release test results of a lot still pending."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.PENDING:
        raise Conflict("lot_decided", f"lot {lot.code} is already {lot.status}")
    lot.results = {**lot.results, **_results(product_rules(), results)}
    lot.save(update_fields=["results"])
    append_audit(actor=actor.username, action="record_lot_results", model="lot",
                 object_id=_lot_id(lot), changes={"results_recorded": {"old": None,
                                                                   "new": len(lot.results)}})
    return lot


@action(RELEASE, before=lambda actor, lot, **kw: check_signing_password(
    actor, kw.get("password", ""), _lot_id(lot)))
def do_decide_release(actor: Actor, lot: Lot, *, password: str, language: str = "en") -> Lot:
    """Quality's signed decision: released when every applicable test passes, else failed.

    The password is re-entered (checked and throttled in ``before``, outside the transaction,
    so that a wrong one's audit record survives the refusal).
    """
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.PENDING:
        raise Conflict("lot_decided", f"lot {lot.code} is already {lot.status}")
    decision = evaluate_release(product_rules(), lot.results, cell_lot=lot.product == Lot.CELLS)
    lot.status = Lot.RELEASED if decision.released else Lot.FAILED
    lot.failures = [f"{f.code}: {f.problem} ({f.rule_text}; value {f.value!r})"
                    for f in decision.failures]
    lot.decided_by, lot.decided_at = actor.user, clock.now()
    lot.signature_meaning = release_meaning(language)
    lot.save()
    append_audit(actor=actor.username, action="decide_lot_release", model="lot",
                 object_id=_lot_id(lot),
                 changes={"status": {"old": Lot.PENDING, "new": lot.status}})
    return lot


@action(MANAGE)
def do_assign_kits(actor: Actor, lot: Lot, *, kit_codes: Sequence[str]) -> list[KitLot]:
    """Record that these kits were filled from ``lot``: a cell lot fills the experimental arm's
    kits, a placebo lot the others (any other pairing is a labelling error, refused)."""
    kits = _kits(kit_codes)
    taken = KitLot.objects.filter(slot__in=kits).values_list("slot__kit_code", flat=True).first()
    if taken:
        raise Conflict("kit_has_lot", f"kit {taken} already has a lot")
    holds_cells = lot.product == Lot.CELLS  # the experimental arm's kits hold the cells
    arms = {arm.code for arm in get_protocol().design.arms
            if (arm.type == "EXPERIMENTAL") == holds_cells}
    wrong = next((kit.kit_code for kit in kits if kit.arm not in arms), None)
    if wrong is not None:
        raise InvalidInput("kits", f"kit {wrong} is labelled for the other product")
    rows = [KitLot.objects.create(slot=kit, lot=lot) for kit in kits]
    for kit in kits:  # which lot stays out of the trail: kits sharing a lot share an arm
        append_audit(actor=actor.username, action="record_kit_lot", model="kit",
                     object_id=kit.kit_code, changes={"lot_recorded": {"old": False,
                                                                       "new": True}})
    return rows


@action(MANAGE)
def do_ship(actor: Actor, *, kit_codes: Sequence[str], destination: str,
            origin: str) -> Shipment:
    """Send kits to the site they are labelled for; each must be usable and at the depot."""
    site = Site.objects.filter(code=str(destination).upper()).first()
    if site is None:
        raise InvalidInput("destination", "must be a site of the trial")
    origin = _text("origin", origin, 200)
    kits = _kits(kit_codes)
    for kit in kits:
        refuse_unusable(kit, at_site=False)
        if kit_site_code(kit.stratum) not in (None, site.code):
            raise InvalidInput("kits", f"kit {kit.kit_code} is labelled for another site")
        if KitLot.objects.filter(slot=kit, site__isnull=False).exists() or Shipment.objects.filter(
                kits=kit, status=Shipment.IN_TRANSIT).exists():
            raise Conflict("kit_not_at_depot", f"kit {kit.kit_code} is not at the depot")
    shipment = Shipment.objects.create(origin=origin, destination=site, shipped_at=clock.now(),
                                       shipped_by=actor.user)
    shipment.kits.set(kits)
    append_audit(actor=actor.username, action="ship_kits", model="shipment",
                 object_id=str(shipment.pk), changes={
                     "status": {"old": None, "new": Shipment.IN_TRANSIT},
                     "destination": {"old": None, "new": site.code},
                     "kits": {"old": None, "new": len(kits)}})
    return shipment


@action((MANAGE, PHARMACY))
def do_receive(actor: Actor, shipment: Shipment, *, temperature_log: str,
               received_at: dt.datetime | None = None) -> Shipment:
    """Confirm receipt with the logger's CSV: the kits are at the site; an excursion beyond the
    protocol's shipping range (and grace) holds exactly this shipment's kits in quarantine."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if actor.site is not None and actor.site != shipment.destination.code:
        raise NotFound(f"no shipment {shipment.pk}")
    if shipment.status != Shipment.IN_TRANSIT:
        raise Conflict("already_received", f"shipment {shipment.pk} is already received")
    now = clock.now()
    received_at = received_at or now
    if received_at > now or received_at < shipment.shipped_at:
        raise InvalidInput("received_at", "must lie between the shipping time and now")
    rules = product_rules()
    try:
        readings = read_temperature_log(temperature_log or "")
    except TemperatureLogError as error:
        raise InvalidInput("temperature_log", str(error)) from None
    low, high = rules.shipping_celsius
    excursions = find_excursions(readings, low, high, rules.excursion_grace_minutes)
    shipment.status, shipment.received_at, shipment.received_by = (
        Shipment.RECEIVED, received_at, actor.user)
    shipment.log_sha256 = hashlib.sha256(temperature_log.encode()).hexdigest()
    shipment.readings = len(readings)
    shipment.excursions = [{"start": e.start.isoformat(), "end": e.end.isoformat(),
                            "worst": e.worst} for e in excursions]
    shipment.save()
    kits = list(shipment.kits.all())
    KitLot.objects.filter(slot__in=kits).update(site=shipment.destination)
    append_audit(actor=actor.username, action="receive_shipment", model="shipment",
                 object_id=str(shipment.pk), changes={
                     "status": {"old": Shipment.IN_TRANSIT, "new": Shipment.RECEIVED},
                     "excursions": {"old": None, "new": len(excursions)}})
    if excursions:
        for kit in kits:
            Quarantine.objects.create(slot=kit, shipment=shipment, opened_at=now)
            append_audit(actor=actor.username, action="quarantine_kit", model="kit",
                         object_id=kit.kit_code,
                         changes={"quarantined": {"old": False, "new": True}},
                         reason=f"temperature excursion in shipment {shipment.pk}")
    return shipment


@action(RELEASE)
def do_resolve_quarantine(actor: Actor, shipment: Shipment, *, resolution: str,
                          reason: str) -> list[Quarantine]:
    """Quality's decision on a shipment's held kits: released (usable again) or destroyed."""
    if resolution not in (Quarantine.RELEASED, Quarantine.DESTROYED):
        raise InvalidInput("resolution", "must be released or destroyed")
    reason = _text("reason", reason, TEXT_MAX)
    holds = list(Quarantine.objects.select_for_update().select_related("slot").filter(
        shipment=shipment, resolved_at__isnull=True))
    if not holds:
        raise Conflict("nothing_held", f"shipment {shipment.pk} has no kit in quarantine")
    now = clock.now()
    for hold in holds:
        hold.resolution, hold.reason, hold.resolved_at, hold.resolved_by = (
            resolution, reason, now, actor.user)
        hold.save()
        if resolution == Quarantine.DESTROYED:
            KitLot.objects.filter(slot=hold.slot).update(destroyed_at=now)
        append_audit(actor=actor.username, action=f"quarantine_{resolution}", model="kit",
                     object_id=hold.slot.kit_code,
                     changes={"quarantined": {"old": True, "new": False},
                              "destroyed": {"old": False,
                                            "new": resolution == Quarantine.DESTROYED}},
                     reason=reason)
    return holds


@action((MANAGE, PHARMACY))
def do_record_custody(actor: Actor, shipment: Shipment, *, handed_by: str, received_by: str,
                      place: str, at: dt.datetime) -> CustodyTransfer:
    """Record one hand-over of a shipment (courier to courier, courier to pharmacy...)."""
    if actor.site is not None and actor.site != shipment.destination.code:
        raise NotFound(f"no shipment {shipment.pk}")
    if at > clock.now() or at < shipment.shipped_at:
        raise InvalidInput("at", "must lie between the shipping time and now")
    transfer = CustodyTransfer.objects.create(
        shipment=shipment, handed_by=_text("handed_by", handed_by, 200),
        received_by=_text("received_by", received_by, 200), place=_text("place", place, 200),
        at=at, recorded_by=actor.user)
    append_audit(actor=actor.username, action="record_custody", model="shipment",
                 object_id=str(shipment.pk), changes={
                     "custody": {"old": None, "new": f"{transfer.handed_by} -> "
                                                     f"{transfer.received_by}"}})
    return transfer


@action(PHARMACY, refuse_when_locked=True)  # a participant's dose: clinical data
def do_prepare(actor: Actor, slot: AllocationSlot, *, thawed_at: dt.datetime,
               viability_percent: float | None = None) -> Preparation:
    """The pharmacist's preparation of the participant's kit: the dose from the participant's
    recorded weight (the protocol's dose per kg and rounding), the volume at the protocol's
    nominal concentration for both arms: the pharmacy brings cells to it (and a placebo bag is
    filled to it), so a bag's volume at the bedside says nothing about what it holds."""
    slot = AllocationSlot.objects.select_for_update().get(pk=slot.pk)
    if Preparation.objects.filter(slot=slot).exists():
        raise Conflict("already_prepared", f"kit {slot.kit_code} is already prepared")
    now = clock.now()
    if thawed_at > now:
        raise InvalidInput("thawed_at", "must not be in the future")
    if viability_percent is not None and not 0 <= viability_percent <= 100:
        raise InvalidInput("viability_percent", "must be between 0 and 100")
    rules = product_rules()
    use_by = thawed_at + dt.timedelta(hours=rules.post_thaw_hours)
    if use_by < now:
        raise Conflict("post_thaw_expired", f"kit {slot.kit_code} is past its post-thaw window")
    refuse_unusable(slot, at_site=True)
    participant = kit_holder(slot)  # a replacement kit has no randomization of its own
    weight = recorded_weight(participant)
    if weight is None:
        raise Conflict("no_weight", f"{participant.code} has no recorded weight "
                                    "(demographics form)")
    if not KitLot.objects.filter(slot=slot).exists():
        raise Conflict("no_lot", f"kit {slot.kit_code} has no lot recorded")
    try:
        dose = compute_dose(weight, rules)
    except DoseError as error:
        raise InvalidInput(error.field, str(error).split(": ", 1)[-1]) from None
    preparation = Preparation.objects.create(
        slot=slot, thawed_at=thawed_at, use_by=use_by, viability_percent=viability_percent,
        weight_kg=weight, dose_cells=dose.cells, volume_ml=dose.volume_ml, rounding=dose.rounding,
        prepared_by=actor.user, prepared_at=now)
    append_audit(actor=actor.username, action="prepare_kit", model="kit",
                 object_id=slot.kit_code, changes={"prepared": {"old": False, "new": True}})
    return preparation


@action(PHARMACY, refuse_when_locked=True)  # the infusion: clinical data, as the preparation
def do_record_infusion(actor: Actor, slot: AllocationSlot, *, started_at: dt.datetime,
                       ended_at: dt.datetime, rate_ml_per_h: float, volume_ml: float,
                       interruptions: Sequence[Interruption] = (),
                       reactions: str = "") -> InfusionRecord:
    """The infusion of the prepared kit: refused when it ends after the preparation's use-by
    time, runs at a rate or gives a volume outside the protocol's limits, gives more than was
    prepared, or has an interruption outside it (``trialdesk.supply.infusion``)."""
    slot = AllocationSlot.objects.select_for_update().get(pk=slot.pk)
    preparation = Preparation.objects.filter(slot=slot).first()
    if preparation is None:
        raise Conflict("not_prepared", f"kit {slot.kit_code} is not prepared: record its "
                                       "preparation (thaw time) first")
    if InfusionRecord.objects.filter(preparation=preparation).exists():
        raise Conflict("already_infused", f"kit {slot.kit_code}'s infusion is already recorded")
    # the post-thaw window is judged on the infusion's end, not on now: an infusion recorded
    # after the window closed may still have ended inside it
    problems = [code for code in kit_problems(slot) if code != "post_thaw_expired"]
    if problems:
        reasons = "; ".join(PROBLEMS[code] for code in problems)
        raise Conflict(problems[0], f"kit {slot.kit_code} {reasons}")
    infusion = Infusion(started_at, ended_at, rate_ml_per_h, volume_ml, tuple(interruptions))
    try:
        check_infusion(infusion, product_rules(), thawed_at=preparation.thawed_at,
                       use_by=preparation.use_by, prepared_volume_ml=preparation.volume_ml,
                       now=clock.now())
    except InfusionError as error:
        raise InvalidInput(error.field, error.message) from None
    record = InfusionRecord.objects.create(
        preparation=preparation, started_at=started_at, ended_at=ended_at,
        rate_ml_per_h=rate_ml_per_h, volume_ml=volume_ml,
        interruptions=[{"start": pause.start.isoformat(), "end": pause.end.isoformat(),
                        "reason": pause.reason.strip()} for pause in interruptions],
        reactions=_text("reactions", reactions, TEXT_MAX, required=False),
        recorded_by=actor.user, recorded_at=clock.now())
    # the trail says only that the kit was infused: interruptions and reactions, which cells
    # may cause more often than placebo, stay in this app's table (unblinded readers)
    append_audit(actor=actor.username, action="record_infusion", model="kit",
                 object_id=slot.kit_code, changes={"infused": {"old": False, "new": True}})
    return record
