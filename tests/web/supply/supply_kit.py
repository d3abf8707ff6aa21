"""Helpers of the supply tests (issue 18): lots with passing results, kits of a site, a shipment
received with a temperature log, a participant with a recorded weight."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trial_factory import PASSWORD

SUPPLY, QUALITY = "supply_manager", "quality"
PASSING = {"viable_cells": 1.2e8, "viability": 85, "sterility": "pass", "endotoxin": 0.1,
           "mycoplasma": "pass", "cd73_cd90_cd105": 98, "cd45_cd34": 1}
PLACEBO_PASSING = {"sterility": "pass", "endotoxin": 0.1, "mycoplasma": "pass"}
CELL_ARM = "msc"  # the bundled protocol's experimental arm
COLD = -180.0  # inside the protocol's shipping range [-196, -150] °C


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def free_kits(site: str, arm: str | None = None, count: int = 4) -> list[str]:
    """Kit codes of unallocated slots labelled for ``site`` (of ``arm`` if given)."""
    from trialdesk.web.trials.models import AllocationSlot

    slots = AllocationSlot.objects.filter(stratum__contains=f"site={site}", used=False)
    if arm is not None:
        slots = slots.filter(arm=arm)
    return list(slots.order_by("sequence").values_list("kit_code", flat=True)[:count])


def arms() -> list[str]:
    from trialdesk.randomization.from_protocol import protocol_arms
    from trialdesk.web.core.protocol import get_protocol

    return protocol_arms(get_protocol())[0]


def register_lot(trial: Any, code: str, *, product: str = "cells",
                 results: dict[str, Any] | None = None,
                 manufactured_on: dt.date | None = None) -> dict[str, Any]:
    body = {"code": code, "product": product, "manufacturer": "BioXcellerator lab",
            "manufactured_on": (manufactured_on or today()).isoformat(),
            "results": PASSING if results is None and product == "cells"
            else PLACEBO_PASSING if results is None else results}
    if product == "cells":
        body["cells_per_ml"] = 2e6
    return trial.api(SUPPLY).ok("POST", "/api/v1/supply/lots", body)


def release(trial: Any, code: str) -> dict[str, Any]:
    return trial.api(QUALITY).ok("POST", f"/api/v1/supply/lots/{code}/release",
                                 {"password": PASSWORD})


def released_lot_with_kits(trial: Any, prefix: str, kits: list[str]) -> dict[str, str]:
    """Register and release one lot per arm the kits hold (cells for the experimental arm,
    placebo for the other), record each kit's lot; return each kit's lot code."""
    from trialdesk.web.trials.models import AllocationSlot

    arm_of = dict(AllocationSlot.objects.filter(kit_code__in=kits).values_list("kit_code", "arm"))
    lot_of = {}
    for arm in sorted(set(arm_of.values())):
        code = f"{prefix}-{arm.upper()}"
        register_lot(trial, code, product="cells" if arm == CELL_ARM else "placebo")
        release(trial, code)
        mine = [kit for kit in kits if arm_of[kit] == arm]
        trial.api(SUPPLY).ok("POST", f"/api/v1/supply/lots/{code}/kits", {"kits": mine})
        lot_of.update(dict.fromkeys(mine, code))
    return lot_of


def temperature_log(celsius: list[float], start: dt.datetime | None = None,
                    minutes: int = 15) -> str:
    start = start or dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
    rows = [f"{(start + dt.timedelta(minutes=minutes * i)).isoformat()},{value}"
            for i, value in enumerate(celsius)]
    return "time,celsius\n" + "\n".join(rows) + "\n"


def ship(trial: Any, kits: list[str], site: str = "CO-01") -> dict[str, Any]:
    return trial.api(SUPPLY).ok("POST", "/api/v1/supply/shipments",
                                {"kits": kits, "destination": site, "origin": "Depot Bogotá"})


def ship_and_receive(trial: Any, kits: list[str], site: str = "CO-01",
                     log: str | None = None) -> dict[str, Any]:
    shipment = ship(trial, kits, site)
    return trial.api(f"pharmacist-{site.lower()}").ok(
        "POST", f"/api/v1/supply/shipments/{shipment['id']}/receive",
        {"temperature_log": log or temperature_log([COLD] * 8)})


def record_weight(trial: Any, code: str, weight: float) -> None:
    """Save the participant's demographics form with ``weight`` (kg)."""
    from trialdesk.web.capture.models import FormInstance

    response = trial.api("coordinator-co-01").put(
        f"/api/v1/participants/{code}/visits/screening/forms/demographics",
        {"values": {"weight": weight}})
    assert response.status_code in (200, 201), response.content
    assert FormInstance.objects.filter(participant__code=code, form="demographics").exists()
