"""The supply chain in the JSON API, under /api/v1/supply (issue 18).

Lots and their release (supply manager, quality), shipments with their temperature logs,
quarantine and custody, each site's stock per arm with its resupply trigger, the forecast (supply
manager), and the pharmacist's preparation of a kit. Blinded roles reach none of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import AwareDatetime, Field

from trialdesk.supply import Interruption
from trialdesk.supply.infusion import INTERRUPTIONS_MAX, REASON_MAX
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.idempotency import FIELD, Idempotent, idempotent
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.core.schemas import Strict
from trialdesk.web.supply import access, actions, presenters
from trialdesk.web.supply.forecast import supply_forecast
from trialdesk.web.supply.inventory import kit_rows, site_stock
from trialdesk.web.supply.models import (
    CODE_MAX,
    TEXT_MAX,
    Infusion,
    KitReplacement,
    Lot,
    Preparation,
)
from trialdesk.web.supply.replacement import REPLACE, access_assigned_kit, do_replace_kit
from trialdesk.web.trials.access import access_kit_by_code

router = Router(tags=["supply"])
KIT_READERS = ("view_kit_arm",)
Result = float | bool | str


class LotIn(Idempotent):
    code: str = Field(min_length=1, max_length=CODE_MAX)
    product: Literal["cells", "placebo"]
    manufacturer: str = Field(min_length=1, max_length=200)
    manufactured_on: dt.date
    cells_per_ml: float | None = Field(None, gt=0, le=1e12)
    notes: str = Field("", max_length=TEXT_MAX)
    results: dict[str, Result] = Field(default_factory=dict)


class ResultsIn(Strict):
    results: dict[str, Result] = Field(min_length=1)


class SignIn(Strict):
    password: str = Field(min_length=1, max_length=200)


class KitsIn(Idempotent):
    kits: list[str] = Field(min_length=1, max_length=500)


class ShipmentIn(KitsIn):
    destination: str = Field(min_length=1, max_length=5)
    origin: str = Field(min_length=1, max_length=200)


class ReceiptIn(Strict):
    temperature_log: str = Field(min_length=1, max_length=500_000,
                                 description="the logger's CSV: time (ISO 8601), celsius")
    received_at: dt.datetime | None = None


class CustodyIn(Idempotent):
    handed_by: str = Field(min_length=1, max_length=200)
    received_by: str = Field(min_length=1, max_length=200)
    place: str = Field(min_length=1, max_length=200)
    at: dt.datetime


class QuarantineIn(Strict):
    resolution: Literal["released", "destroyed"]
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


class PreparationIn(Idempotent):
    thawed_at: dt.datetime
    viability_percent: float | None = Field(None, ge=0, le=100)


class InterruptionIn(Strict):
    # with a zone: a time without one could be any site's
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class InfusionIn(Idempotent):
    started_at: AwareDatetime
    ended_at: AwareDatetime
    rate_ml_per_h: float = Field(description="mL/h, within the protocol's limits")
    volume_ml: float = Field(description="the volume infused, mL")
    interruptions: list[InterruptionIn] = Field(default_factory=list,
                                                max_length=INTERRUPTIONS_MAX)
    reactions: str = Field("", max_length=TEXT_MAX)


class ReplacementIn(Idempotent):
    reason: Literal[KitReplacement.REASONS]  # type: ignore[valid-type]
    note: str = Field("", max_length=TEXT_MAX)


def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "en")[:2]


@router.get("/supply/lots")
@endpoint(access.READ_LOTS)
def list_lots(request: HttpRequest) -> list[dict[str, Any]]:
    return [presenters.lot_view(lot) for lot in Lot.objects.order_by("code")]


@router.post("/supply/lots", response={201: dict})
@endpoint(access.MANAGE)
@idempotent("supply.register_lot")
def register_lot(request: HttpRequest, body: LotIn) -> Status:
    """Register a lot (cells or placebo) pending release, with its manufacturing data."""
    lot = actions.do_register_lot(request_actor(request), **body.model_dump(exclude={FIELD}))
    return Status(201, presenters.lot_view(lot))


@router.get("/supply/lots/{lot_code}")
@endpoint(access.READ_LOTS, record_readers=access.READ_LOTS)
def get_lot(request: HttpRequest, lot_code: str) -> dict[str, Any]:
    return presenters.lot_view(access.access_lot(request_actor(request), lot_code))


@router.post("/supply/lots/{lot_code}/results")
@endpoint(access.MANAGE, record_readers=access.READ_LOTS)
def record_results(request: HttpRequest, lot_code: str, body: ResultsIn) -> dict[str, Any]:
    actor = request_actor(request)
    lot = actions.do_record_results(actor, access.access_lot(actor, lot_code),
                                    results=body.results)
    return presenters.lot_view(lot)


@router.post("/supply/lots/{lot_code}/release")
@endpoint(access.RELEASE, record_readers=access.READ_LOTS)
def decide_release(request: HttpRequest, lot_code: str, body: SignIn) -> dict[str, Any]:
    """Quality's signed decision (password re-entered): released if every test passes."""
    actor = request_actor(request)
    lot = actions.do_decide_release(actor, access.access_lot(actor, lot_code),
                                    password=body.password, language=_lang(request))
    return presenters.lot_view(lot)


@router.post("/supply/lots/{lot_code}/kits", response={201: dict})
@endpoint(access.MANAGE, record_readers=access.READ_LOTS)
@idempotent("supply.assign_kits")
def assign_kits(request: HttpRequest, lot_code: str, body: KitsIn) -> Status:
    actor = request_actor(request)
    lot = access.access_lot(actor, lot_code)
    actions.do_assign_kits(actor, lot, kit_codes=body.kits)
    return Status(201, presenters.lot_view(lot))


@router.get("/supply/shipments")
@endpoint(access.READ_SHIPMENTS)
def list_shipments(request: HttpRequest) -> list[dict[str, Any]]:
    return [presenters.shipment_view(s) for s in access.visible_shipments(request_actor(request))]


@router.post("/supply/shipments", response={201: dict})
@endpoint(access.MANAGE)
@idempotent("supply.ship")
def ship(request: HttpRequest, body: ShipmentIn) -> Status:
    """Ship kits to the site they are labelled for: each of a released, unexpired lot."""
    shipment = actions.do_ship(request_actor(request), kit_codes=body.kits,
                               destination=body.destination, origin=body.origin)
    return Status(201, presenters.shipment_view(shipment))


@router.get("/supply/shipments/{shipment_id}")
@endpoint(access.READ_SHIPMENTS, record_readers=access.READ_SHIPMENTS)
def get_shipment(request: HttpRequest, shipment_id: int) -> dict[str, Any]:
    return presenters.shipment_view(access.access_shipment(request_actor(request), shipment_id))


@router.post("/supply/shipments/{shipment_id}/receive")
@endpoint(access.RECEIVE, record_readers=access.READ_SHIPMENTS)
def receive(request: HttpRequest, shipment_id: int, body: ReceiptIn) -> dict[str, Any]:
    """Confirm receipt with the temperature log; an excursion quarantines the shipment's kits."""
    actor = request_actor(request)
    shipment = actions.do_receive(actor, access.access_shipment(actor, shipment_id),
                                  temperature_log=body.temperature_log,
                                  received_at=body.received_at)
    return presenters.shipment_view(shipment)


@router.post("/supply/shipments/{shipment_id}/custody", response={201: dict})
@endpoint(access.RECEIVE, record_readers=access.READ_SHIPMENTS)
@idempotent("supply.record_custody")
def record_custody(request: HttpRequest, shipment_id: int, body: CustodyIn) -> Status:
    actor = request_actor(request)
    shipment = access.access_shipment(actor, shipment_id)
    actions.do_record_custody(actor, shipment, **body.model_dump(exclude={FIELD}))
    return Status(201, presenters.shipment_view(shipment))


@router.post("/supply/shipments/{shipment_id}/quarantine")
@endpoint(access.RELEASE, record_readers=access.READ_SHIPMENTS)
def resolve_quarantine(request: HttpRequest, shipment_id: int,
                       body: QuarantineIn) -> dict[str, Any]:
    """Quality releases (with the reason) or destroys the kits held from this shipment."""
    actor = request_actor(request)
    shipment = access.access_shipment(actor, shipment_id)
    actions.do_resolve_quarantine(actor, shipment, resolution=body.resolution,
                                  reason=body.reason)
    return presenters.shipment_view(shipment)


@router.get("/supply/inventory")
@endpoint(access.READ_STOCK)
def inventory(request: HttpRequest) -> list[dict[str, Any]]:
    """Each site's usable kits per arm, and whether it needs resupply (either arm at or below
    the protocol's minimum, or a stratum's next kit not at the site: named to the supply
    manager)."""
    actor = request_actor(request)
    rules = actions.product_rules()
    sites = access.stock_sites(actor, [site.code for site in get_protocol().sites])
    return [presenters.stock_view(site_stock(code), rules.resupply_minimum_per_arm,
                                  name_next_kits=actor.can(access.MANAGE)) for code in sites]


@router.get("/supply/kits")
@endpoint(access.MANAGE)
def list_kits(request: HttpRequest, site: str = "") -> list[dict[str, Any]]:
    """Every kit (or those labelled for ``site``): its arm, lot, where it is and whether it may
    be used, so the supply manager files kits under lots and ships them."""
    return kit_rows(site.strip().upper() or None)


@router.get("/supply/forecast")
@endpoint(access.MANAGE)
def forecast(request: HttpRequest) -> dict[str, Any]:
    """Monte Carlo of each site's arrivals: P(stock-out) within the protocol's horizon, and the
    smallest shipment per arm keeping it at or below the protocol's target."""
    return supply_forecast()


@router.get("/supply/kits/{kit_code}/preparation")
@endpoint(KIT_READERS, record_readers=KIT_READERS)
def get_preparation(request: HttpRequest, kit_code: str) -> dict[str, Any]:
    slot = access_kit_by_code(request_actor(request), kit_code)
    preparation = Preparation.objects.filter(slot=slot).first()
    if preparation is None:
        raise NotFound(f"kit {slot.kit_code} is not prepared")
    return presenters.preparation_view(preparation)


@router.post("/supply/kits/{kit_code}/preparation", response={201: dict})
@endpoint("record_dispensing", record_readers=KIT_READERS)
@idempotent("supply.prepare")
def prepare(request: HttpRequest, kit_code: str, body: PreparationIn) -> Status:
    """The pharmacist thaws and prepares the participant's kit: the dose from the recorded
    weight, the volume from the lot's concentration; usable until thaw + post-thaw hours."""
    actor = request_actor(request)
    slot = access_kit_by_code(actor, kit_code)
    preparation = actions.do_prepare(actor, slot, thawed_at=body.thawed_at,
                                     viability_percent=body.viability_percent)
    return Status(201, presenters.preparation_view(preparation))


@router.get("/supply/kits/{kit_code}/infusion")
@endpoint(KIT_READERS, record_readers=KIT_READERS)
def get_infusion(request: HttpRequest, kit_code: str) -> dict[str, Any]:
    slot = access_kit_by_code(request_actor(request), kit_code)
    infusion = Infusion.objects.filter(preparation__slot=slot).first()
    if infusion is None:
        raise NotFound(f"kit {slot.kit_code}'s infusion is not recorded")
    return presenters.infusion_view(infusion)


@router.post("/supply/kits/{kit_code}/infusion", response={201: dict})
@endpoint("record_dispensing", record_readers=KIT_READERS)
@idempotent("supply.record_infusion")
def record_infusion(request: HttpRequest, kit_code: str, body: InfusionIn) -> Status:
    """The infusion of the prepared kit: start, end, rate, volume, interruptions, reactions.
    Refused when it ends after the preparation's use-by time (thaw + post-thaw hours), or its
    rate, volume or an interruption breaks the protocol's limits."""
    actor = request_actor(request)
    slot = access_kit_by_code(actor, kit_code)
    infusion = actions.do_record_infusion(
        actor, slot, started_at=body.started_at, ended_at=body.ended_at,
        rate_ml_per_h=body.rate_ml_per_h, volume_ml=body.volume_ml,
        interruptions=[Interruption(p.start, p.end, p.reason) for p in body.interruptions],
        reactions=body.reactions)
    return Status(201, presenters.infusion_view(infusion))


@router.post("/supply/kits/{kit_code}/replacement", response={201: dict})
@endpoint(REPLACE, record_readers=REPLACE)
@idempotent("supply.replace_kit")
def replace_kit(request: HttpRequest, kit_code: str, body: ReplacementIn) -> Status:
    """Replace a participant's damaged, expired, post-thaw-expired or quarantined kit with a
    usable kit of the same arm at the site (investigator or pharmacist): the answer is the new
    kit's code, which the infusion then requires. With an ``idempotency_key`` a retry answers
    the first replacement and replaces nothing again."""
    actor = request_actor(request)
    slot = access_assigned_kit(actor, kit_code)
    replacement = do_replace_kit(actor, slot, reason=body.reason, note=body.note)
    return Status(201, presenters.replacement_view(replacement))
