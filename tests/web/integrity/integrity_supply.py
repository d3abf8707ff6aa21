"""Builders of the supply chain's write operations (issue 18) for ``integrity_kit.BUILDERS``:
for each, the state it needs (lots, kits, shipments) made through the API, and a valid request."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from trial_factory import PASSWORD

if TYPE_CHECKING:
    from integrity_kit import Scenarios, WriteRequest

SUPPLY, QUALITY, PHARMACIST = "supply_manager", "quality", "pharmacist-co-01"
PASSING = {"viable_cells": 1.2e8, "viability": 85, "sterility": "pass", "endotoxin": 0.1,
           "mycoplasma": "pass", "cd73_cd90_cd105": 98, "cd45_cd34": 1}
COLD_LOG = ("time,celsius\n2026-01-05T08:00:00Z,-180\n2026-01-05T08:15:00Z,-181\n"
            "2026-01-05T08:30:00Z,-179\n")
WARM_LOG = ("time,celsius\n2026-01-05T08:00:00Z,-180\n2026-01-05T08:15:00Z,-120\n"
            "2026-01-05T08:30:00Z,-120\n2026-01-05T08:45:00Z,-180\n")


def _request(*args: Any, **kwargs: Any) -> WriteRequest:
    from integrity_kit import WriteRequest

    return WriteRequest(*args, **kwargs)


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _lot_body(code: str, product: str = "cells") -> dict[str, Any]:
    return {"code": code, "product": product, "manufacturer": "BioXcellerator lab",
            "manufactured_on": _today(), "cells_per_ml": 2e6, "results": PASSING}


def _msc_kits(site: str, count: int, *, allocated: bool = False) -> list[str]:
    """Kits of the cells arm with no lot yet (every builder may run in one database: the
    audit-verify test runs them all)."""
    from trialdesk.web.supply.models import KitLot
    from trialdesk.web.trials.models import AllocationSlot

    return list(AllocationSlot.objects.filter(stratum__contains=f"site={site}", arm="msc",
                                              used=allocated)
                .exclude(pk__in=KitLot.objects.values("slot_id")).order_by("sequence")
                .values_list("kit_code", flat=True)[:count])


_lots = itertools.count(1)


def _new_code(prefix: str) -> str:
    """A lot code no other builder of the same database has used."""
    return f"{prefix}-{next(_lots)}"


def _released_lot(s: Scenarios, code: str, kits: list[str]) -> None:
    s.api(SUPPLY).ok("POST", "/api/v1/supply/lots", _lot_body(code))
    s.api(QUALITY).ok("POST", f"/api/v1/supply/lots/{code}/release", {"password": PASSWORD})
    if kits:
        s.api(SUPPLY).ok("POST", f"/api/v1/supply/lots/{code}/kits", {"kits": kits})


def _shipment(s: Scenarios, kits: list[str]) -> int:
    _released_lot(s, _new_code("LOT-SHIP"), kits)
    return s.api(SUPPLY).ok("POST", "/api/v1/supply/shipments",
                            {"kits": kits, "destination": "CO-01", "origin": "Depot"})["id"]


def _register_lot(s: Scenarios) -> WriteRequest:
    s.api(SUPPLY)
    return _request(SUPPLY, "POST", "/api/v1/supply/lots", _lot_body("LOT-NEW"),
                    ("register_lot",))


def _record_results(s: Scenarios) -> WriteRequest:
    # each builder its own lot: the audit-verify test runs every builder in one database
    s.api(SUPPLY).ok("POST", "/api/v1/supply/lots", {**_lot_body("LOT-R"), "results": {}})
    return _request(SUPPLY, "POST", "/api/v1/supply/lots/LOT-R/results",
                    {"results": {"viability": 88}}, ("record_lot_results",))


def _release(s: Scenarios) -> WriteRequest:
    s.api(SUPPLY).ok("POST", "/api/v1/supply/lots", _lot_body("LOT-P"))
    s.api(QUALITY)
    return _request(QUALITY, "POST", "/api/v1/supply/lots/LOT-P/release",
                    {"password": PASSWORD}, ("decide_lot_release",),
                    extra={"changes": {"status": {"old": "pending", "new": "released"}}})


def _assign_kits(s: Scenarios) -> WriteRequest:
    kits = _msc_kits("CO-01", 2)
    _released_lot(s, "LOT-K", [])
    return _request(SUPPLY, "POST", "/api/v1/supply/lots/LOT-K/kits", {"kits": kits},
                    ("record_kit_lot",) * 2)


def _ship(s: Scenarios) -> WriteRequest:
    kits = _msc_kits("CO-01", 2)
    _released_lot(s, "LOT-S", kits)
    return _request(SUPPLY, "POST", "/api/v1/supply/shipments",
                    {"kits": kits, "destination": "CO-01", "origin": "Depot Bogotá"},
                    ("ship_kits",))


def _receive(s: Scenarios) -> WriteRequest:
    shipment = _shipment(s, _msc_kits("CO-01", 2))
    s.api(PHARMACIST)
    return _request(PHARMACIST, "POST", f"/api/v1/supply/shipments/{shipment}/receive",
                    {"temperature_log": COLD_LOG}, ("receive_shipment",))


def _custody(s: Scenarios) -> WriteRequest:
    shipment = _shipment(s, _msc_kits("CO-01", 1))
    at = dt.datetime.now(dt.UTC).isoformat()
    return _request(SUPPLY, "POST", f"/api/v1/supply/shipments/{shipment}/custody",
                    {"handed_by": "Depot", "received_by": "World Courier", "place": "Bogotá",
                     "at": at}, ("record_custody",))


def _quarantine(s: Scenarios) -> WriteRequest:
    shipment = _shipment(s, _msc_kits("CO-01", 2))
    s.api(PHARMACIST).ok("POST", f"/api/v1/supply/shipments/{shipment}/receive",
                         {"temperature_log": WARM_LOG})
    reason = "stability data cover 30 minutes at -120 °C"
    return _request(QUALITY, "POST", f"/api/v1/supply/shipments/{shipment}/quarantine",
                    {"resolution": "released", "reason": reason},
                    ("quarantine_released",) * 2, reason=reason)


def _kit_ready_to_prepare(s: Scenarios, lot: str) -> str:
    """A randomized participant's kit, filled from a released lot of its own (``lot``), shipped,
    received, with the participant's weight recorded: its code."""
    from integrity_kit import COORDINATOR

    code, kit = s.randomized()
    from trialdesk.web.trials.models import AllocationSlot

    product = "cells" if AllocationSlot.objects.get(kit_code=kit).arm == "msc" else "placebo"
    s.api(SUPPLY).ok("POST", "/api/v1/supply/lots", _lot_body(lot, product))
    s.api(QUALITY).ok("POST", f"/api/v1/supply/lots/{lot}/release", {"password": PASSWORD})
    s.api(SUPPLY).ok("POST", f"/api/v1/supply/lots/{lot}/kits", {"kits": [kit]})
    shipment = s.api(SUPPLY).ok("POST", "/api/v1/supply/shipments",
                                {"kits": [kit], "destination": "CO-01", "origin": "Depot"})
    s.api(PHARMACIST).ok("POST", f"/api/v1/supply/shipments/{shipment['id']}/receive",
                         {"temperature_log": COLD_LOG})
    s.api(COORDINATOR).ok("PUT", f"/api/v1/participants/{code}/visits/screening/forms/"
                                 "demographics", {"values": {"weight": 72}})
    return kit


def _prepare(s: Scenarios) -> WriteRequest:
    kit = _kit_ready_to_prepare(s, "LOT-X")
    thawed = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)).isoformat()
    return _request(PHARMACIST, "POST", f"/api/v1/supply/kits/{kit}/preparation",
                    {"thawed_at": thawed, "viability_percent": 90}, ("prepare_kit",))


def _infuse(s: Scenarios) -> WriteRequest:
    kit = _kit_ready_to_prepare(s, "LOT-INF")
    thawed = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=90)
    s.api(PHARMACIST).ok("POST", f"/api/v1/supply/kits/{kit}/preparation",
                         {"thawed_at": thawed.isoformat()})

    def at(minutes: int) -> str:
        return (thawed + dt.timedelta(minutes=minutes)).isoformat()

    return _request(PHARMACIST, "POST", f"/api/v1/supply/kits/{kit}/infusion", {
        "started_at": at(10), "ended_at": at(70), "rate_ml_per_h": 72, "volume_ml": 72,
        "interruptions": [{"start": at(20), "end": at(25), "reason": "line occluded"}],
        "reactions": ""}, ("record_infusion",))


def _replace_kit(s: Scenarios) -> WriteRequest:
    """A randomized participant's kit and one spare of each arm at CO-01, each from a released
    lot of its own, received at the site: the investigator replaces the participant's kit."""
    from integrity_kit import INVESTIGATOR

    from trialdesk.web.supply.models import KitLot
    from trialdesk.web.trials.models import AllocationSlot

    _, kit = s.randomized()
    kits = [kit]
    for arm in ("msc", "standard"):
        spare = (AllocationSlot.objects.filter(stratum__contains="site=CO-01", arm=arm,
                                               used=False)
                 .exclude(pk__in=KitLot.objects.values("slot_id")).order_by("sequence")
                 .values_list("kit_code", flat=True).first())
        kits.append(spare)
    for arm in ("msc", "standard"):
        mine = list(AllocationSlot.objects.filter(kit_code__in=kits, arm=arm)
                    .values_list("kit_code", flat=True))
        code = _new_code("LOT-RPL")
        s.api(SUPPLY).ok("POST", "/api/v1/supply/lots",
                         _lot_body(code, "cells" if arm == "msc" else "placebo"))
        s.api(QUALITY).ok("POST", f"/api/v1/supply/lots/{code}/release", {"password": PASSWORD})
        s.api(SUPPLY).ok("POST", f"/api/v1/supply/lots/{code}/kits", {"kits": mine})
    shipment = s.api(SUPPLY).ok("POST", "/api/v1/supply/shipments",
                                {"kits": kits, "destination": "CO-01", "origin": "Depot"})
    s.api(PHARMACIST).ok("POST", f"/api/v1/supply/shipments/{shipment['id']}/receive",
                         {"temperature_log": COLD_LOG})
    return _request(INVESTIGATOR, "POST", f"/api/v1/supply/kits/{kit}/replacement",
                    {"reason": "damaged", "note": "bag cracked"}, ("replace_kit",))


SUPPLY_BUILDERS = {
    ("POST", "/api/v1/supply/lots"): _register_lot,
    ("POST", "/api/v1/supply/lots/{lot_code}/results"): _record_results,
    ("POST", "/api/v1/supply/lots/{lot_code}/release"): _release,
    ("POST", "/api/v1/supply/lots/{lot_code}/kits"): _assign_kits,
    ("POST", "/api/v1/supply/shipments"): _ship,
    ("POST", "/api/v1/supply/shipments/{shipment_id}/receive"): _receive,
    ("POST", "/api/v1/supply/shipments/{shipment_id}/custody"): _custody,
    ("POST", "/api/v1/supply/shipments/{shipment_id}/quarantine"): _quarantine,
    ("POST", "/api/v1/supply/kits/{kit_code}/preparation"): _prepare,
    ("POST", "/api/v1/supply/kits/{kit_code}/infusion"): _infuse,
    ("POST", "/api/v1/supply/kits/{kit_code}/replacement"): _replace_kit,
}
