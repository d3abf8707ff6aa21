"""What the supply pages and API show: only ever to roles that see arms (``access``)."""

from __future__ import annotations

from typing import Any

from trialdesk.supply import SupplyForecast, resupply_needed
from trialdesk.web.supply.inventory import SiteStock
from trialdesk.web.supply.models import Infusion, KitReplacement, Lot, Preparation, Shipment


def lot_view(lot: Lot) -> dict[str, Any]:
    return {
        "code": lot.code, "product": lot.product, "manufacturer": lot.manufacturer,
        "manufactured_on": lot.manufactured_on.isoformat(),
        "expires_on": lot.expires_on.isoformat(), "cells_per_ml": lot.cells_per_ml,
        "notes": lot.manufacturing_notes, "results": lot.results, "status": lot.status,
        "failures": lot.failures,
        "decided_by": lot.decided_by.get_username() if lot.decided_by else None,
        "decided_at": lot.decided_at.isoformat() if lot.decided_at else None,
        "signature_meaning": lot.signature_meaning or None,
        "kits": sorted(lot.kits.values_list("slot__kit_code", flat=True)),
    }


def shipment_view(shipment: Shipment) -> dict[str, Any]:
    holds = shipment.holds.all()
    return {
        "id": shipment.pk, "origin": shipment.origin, "destination": shipment.destination.code,
        "status": shipment.status, "shipped_at": shipment.shipped_at.isoformat(),
        "shipped_by": shipment.shipped_by.get_username(),
        "received_at": shipment.received_at.isoformat() if shipment.received_at else None,
        "received_by": shipment.received_by.get_username() if shipment.received_by else None,
        "kits": sorted(shipment.kits.values_list("kit_code", flat=True)),
        "temperature_readings": shipment.readings, "temperature_log_sha256": shipment.log_sha256,
        "excursions": shipment.excursions,
        "quarantined": sorted(h.slot.kit_code for h in holds if h.resolved_at is None),
        "custody": [{"handed_by": c.handed_by, "received_by": c.received_by, "place": c.place,
                     "at": c.at.isoformat()} for c in shipment.custody.order_by("at")],
    }


def stock_view(stock: SiteStock, minimum_per_arm: int, *,
               name_next_kits: bool = False) -> dict[str, Any]:
    """A site's stock and whether it needs resupply: either arm at or below the minimum, or a
    stratum's next kit not at hand (a list gives exactly that kit). Which kits are next is named
    only to the supply manager (``name_next_kits``), who ships them: a site's pharmacist told the
    next kit's code would learn the next participant's arm from the count that its arrival
    raises."""
    view = {"site": stock.site, "by_arm": dict(zip(stock.arms, stock.by_arm, strict=True)),
            "quarantined": stock.held, "unusable": stock.unusable,
            "resupply_needed": resupply_needed(tuple(stock.by_arm), minimum_per_arm)
            or bool(stock.next_missing)}
    if name_next_kits:
        view["next_kits_missing"] = list(stock.next_missing)
    return view


def forecast_view(forecast: SupplyForecast, rates: dict[str, float],
                  recommended: dict[str, tuple[int, int]], arms: list[str]) -> dict[str, Any]:
    return {
        "days": forecast.days, "simulations": forecast.simulations, "seed": forecast.seed,
        "any_site": {"probability": forecast.any_site.probability,
                     "standard_error": forecast.any_site.standard_error},
        "sites": [{"site": code, "rate_per_day": rates[code], "probability": risk.probability,
                   "standard_error": risk.standard_error,
                   "recommended_shipment": dict(zip(arms, recommended[code], strict=True))}
                  for code, risk in forecast.per_site.items()],
    }


def preparation_view(preparation: Preparation) -> dict[str, Any]:
    return {
        "kit_code": preparation.slot.kit_code, "thawed_at": preparation.thawed_at.isoformat(),
        "use_by": preparation.use_by.isoformat(),
        "viability_percent": preparation.viability_percent, "weight_kg": preparation.weight_kg,
        "dose_cells": preparation.dose_cells, "volume_ml": preparation.volume_ml,
        "rounding": preparation.rounding,
        "prepared_by": preparation.prepared_by.get_username(),
    }


def infusion_view(infusion: Infusion) -> dict[str, Any]:
    """The infusion record (UTC in the API; the page shows the reader's zone)."""
    return {
        "kit_code": infusion.preparation.slot.kit_code,
        "infusion_started_at": infusion.started_at.isoformat(),
        "infusion_ended_at": infusion.ended_at.isoformat(),
        "rate_ml_per_h": infusion.rate_ml_per_h, "volume_infused_ml": infusion.volume_ml,
        "interruptions": infusion.interruptions, "reactions": infusion.reactions,
        "recorded_by": infusion.recorded_by.get_username(),
    }


def replacement_view(replacement: KitReplacement) -> dict[str, Any]:
    """What the site is told of a replacement, blinded or not: which kit to give now."""
    return {"participant": replacement.participant.code,
            "replaced_kit_code": replacement.old_slot.kit_code,
            "kit_code": replacement.new_slot.kit_code}
