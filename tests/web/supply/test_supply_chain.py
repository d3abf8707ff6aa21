"""Issue 18's supply chain through the API: release, shipment, quarantine, expiry, dispensing.

- a kit of an unreleased (pending or failed) lot is refused at shipment and at dispensing;
- a temperature excursion quarantines exactly the kits of that shipment, until quality releases
  them (with a reason) or destroys them;
- an expired kit and a kit past its post-thaw window are refused;
- the release is an e-signature: a wrong password leaves the lot pending.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from enrollment import randomize
from supply_kit import (
    CELL_ARM,
    COLD,
    QUALITY,
    SUPPLY,
    free_kits,
    record_weight,
    register_lot,
    release,
    released_lot_with_kits,
    ship,
    ship_and_receive,
    temperature_log,
)

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.supply.models import Lot, Preparation, Quarantine
from trialdesk.web.trials.models import AllocationSlot

PHARMACIST = "pharmacist-co-01"


def _allocated_kit(trial) -> tuple[str, str]:
    return randomize(trial.api("investigator-co-01"))


def _product(kit: str) -> str:
    return "cells" if AllocationSlot.objects.get(kit_code=kit).arm == CELL_ARM else "placebo"


def test_a_kit_of_an_unreleased_or_failed_lot_is_refused_at_shipment(trial):
    pending, failed = free_kits("CO-01", "msc", 2), free_kits("CO-02", "msc", 2)
    register_lot(trial, "LOT-P")
    trial.api(SUPPLY).ok("POST", "/api/v1/supply/lots/LOT-P/kits", {"kits": pending})
    refused = trial.api(SUPPLY).post("/api/v1/supply/shipments",
                                     {"kits": pending, "destination": "CO-01", "origin": "Depot"})
    assert refused.status_code == 409
    assert "not released" in refused.json()["detail"]
    register_lot(trial, "LOT-F", results={"viable_cells": 1.2e8, "viability": 55,
                                          "sterility": "pass", "endotoxin": 0.1,
                                          "mycoplasma": "pass", "cd73_cd90_cd105": 98,
                                          "cd45_cd34": 1})
    decided = release(trial, "LOT-F")
    assert decided["status"] == "failed"
    assert [f.split(":")[0] for f in decided["failures"]] == ["viability"]
    trial.api(SUPPLY).ok("POST", "/api/v1/supply/lots/LOT-F/kits", {"kits": failed})
    refused = trial.api(SUPPLY).post("/api/v1/supply/shipments",
                                     {"kits": failed, "destination": "CO-02", "origin": "Depot"})
    assert refused.status_code == 409 and "not released" in refused.json()["detail"]
    assert not trial.api(SUPPLY).get("/api/v1/supply/shipments").json()


def test_a_kit_of_an_unreleased_lot_is_refused_at_dispensing(trial):
    _, kit = _allocated_kit(trial)
    register_lot(trial, "LOT-P", product=_product(kit))
    trial.api(SUPPLY).ok("POST", "/api/v1/supply/lots/LOT-P/kits", {"kits": [kit]})
    refused = trial.api(PHARMACIST).post(f"/api/v1/kits/{kit}/dispense", {"lot": "LOT-P"})
    assert refused.status_code == 409
    assert "not released" in refused.json()["detail"]


def test_a_released_received_kit_is_dispensed_and_only_with_its_own_lot(trial):
    _, kit = _allocated_kit(trial)
    lot = released_lot_with_kits(trial, "LOT-R", [kit])[kit]
    ship_and_receive(trial, [kit])
    pharmacist = trial.api(PHARMACIST)
    wrong_lot = pharmacist.post(f"/api/v1/kits/{kit}/dispense", {"lot": "LOT-X"})
    assert wrong_lot.status_code == 422 and wrong_lot.json()["fields"][0]["field"] == "lot"
    assert pharmacist.post(f"/api/v1/kits/{kit}/dispense", {"lot": lot}).status_code == 201


def test_a_kit_not_yet_received_at_the_site_is_refused_at_dispensing(trial):
    _, kit = _allocated_kit(trial)
    lot = released_lot_with_kits(trial, "LOT-R", [kit])[kit]
    ship(trial, [kit])  # in transit
    refused = trial.api(PHARMACIST).post(f"/api/v1/kits/{kit}/dispense", {"lot": lot})
    assert refused.status_code == 409 and "not been received" in refused.json()["detail"]


def test_an_excursion_quarantines_exactly_the_kits_of_its_shipment(trial):
    kits = free_kits("CO-01", count=6)
    first, second = kits[:3], kits[3:]
    released_lot_with_kits(trial, "LOT-R", kits)
    # 45 minutes above -150 °C (the grace is 10): an excursion
    warm = temperature_log([COLD, COLD, -140, -130, -135, -140, COLD, COLD])
    held = ship_and_receive(trial, first, log=warm)
    kept = ship_and_receive(trial, second)
    assert len(held["excursions"]) == 1 and held["quarantined"] == sorted(first)
    assert kept["excursions"] == [] and kept["quarantined"] == []
    assert sorted(Quarantine.objects.values_list("slot__kit_code", flat=True)) == sorted(first)
    stock = trial.api(SUPPLY).get("/api/v1/supply/inventory").json()
    co01 = next(s for s in stock if s["site"] == "CO-01")
    assert sum(co01["by_arm"].values()) == 3 and co01["quarantined"] == 3
    # quality releases them with a reason: usable again
    resolved = trial.api(QUALITY).ok(
        "POST", f"/api/v1/supply/shipments/{held['id']}/quarantine",
        {"resolution": "released", "reason": "stability data cover 45 min at -130 °C"})
    assert resolved["quarantined"] == []
    co01 = next(s for s in trial.api(SUPPLY).get("/api/v1/supply/inventory").json()
                if s["site"] == "CO-01")
    assert sum(co01["by_arm"].values()) == 6 and co01["quarantined"] == 0
    assert AuditRecord.objects.filter(action="quarantine_released").count() == 3


def test_destroyed_kits_of_an_excursion_cannot_be_dispensed(trial):
    _, kit = _allocated_kit(trial)
    lot = released_lot_with_kits(trial, "LOT-R", [kit])[kit]
    held = ship_and_receive(trial, [kit], log=temperature_log([COLD, -100, -100, -100, COLD]))
    refused = trial.api(PHARMACIST).post(f"/api/v1/kits/{kit}/dispense", {"lot": lot})
    assert refused.status_code == 409 and "quarantine" in refused.json()["detail"]
    trial.api(QUALITY).ok("POST", f"/api/v1/supply/shipments/{held['id']}/quarantine",
                          {"resolution": "destroyed", "reason": "thawed in transit"})
    refused = trial.api(PHARMACIST).post(f"/api/v1/kits/{kit}/dispense", {"lot": lot})
    assert refused.status_code == 409 and "destroyed" in refused.json()["detail"]


def test_an_expired_kit_is_refused_at_shipment_and_at_dispensing(trial):
    old = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=400)  # shelf life: 365 days
    kits = free_kits("CO-01", CELL_ARM, 1)
    register_lot(trial, "LOT-OLD", manufactured_on=old)
    release(trial, "LOT-OLD")
    trial.api(SUPPLY).ok("POST", "/api/v1/supply/lots/LOT-OLD/kits", {"kits": kits})
    refused = trial.api(SUPPLY).post("/api/v1/supply/shipments",
                                     {"kits": kits, "destination": "CO-01", "origin": "Depot"})
    assert refused.status_code == 409 and "expiry" in refused.json()["detail"]
    # a kit that expires at the site, after its receipt
    _, kit = _allocated_kit(trial)
    lot = released_lot_with_kits(trial, "LOT-R", [kit])[kit]
    ship_and_receive(trial, [kit])
    Lot.objects.filter(code=lot).update(expires_on=old)
    refused = trial.api(PHARMACIST).post(f"/api/v1/kits/{kit}/dispense", {"lot": lot})
    assert refused.status_code == 409 and "expiry" in refused.json()["detail"]


def test_a_kit_past_its_post_thaw_window_is_refused(trial):
    code, kit = _allocated_kit(trial)
    lot = released_lot_with_kits(trial, "LOT-R", [kit])[kit]
    ship_and_receive(trial, [kit])
    record_weight(trial, code, 70)
    pharmacist = trial.api(PHARMACIST)
    five_hours_ago = (timezone.now() - dt.timedelta(hours=5)).isoformat()  # window: 4 hours
    late = pharmacist.post(f"/api/v1/supply/kits/{kit}/preparation",
                           {"thawed_at": five_hours_ago})
    assert late.status_code == 409 and "post-thaw" in late.json()["detail"]
    an_hour_ago = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    prepared = pharmacist.ok("POST", f"/api/v1/supply/kits/{kit}/preparation",
                             {"thawed_at": an_hour_ago, "viability_percent": 88})
    assert prepared["use_by"] > prepared["thawed_at"]
    # four hours on, the thawed kit may no longer be given
    Preparation.objects.update(use_by=timezone.now() - dt.timedelta(minutes=1))
    refused = pharmacist.post(f"/api/v1/kits/{kit}/dispense", {"lot": lot})
    assert refused.status_code == 409 and "post-thaw" in refused.json()["detail"]


def test_the_release_is_signed_with_the_password_re_entered(trial):
    register_lot(trial, "LOT-S")
    wrong = trial.api(QUALITY).post("/api/v1/supply/lots/LOT-S/release",
                                    {"password": "not the password"})
    assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "password"
    assert Lot.objects.get(code="LOT-S").status == Lot.PENDING
    assert AuditRecord.objects.filter(action="signature_password_failed").exists()
    signed = release(trial, "LOT-S")
    assert signed["status"] == "released" and signed["decided_by"] == QUALITY
    assert "legally binding" in signed["signature_meaning"]
    # a blinded role may not release, nor read the lot
    assert trial.api("data_manager").post("/api/v1/supply/lots/LOT-S/release",
                                          {"password": "x"}).status_code == 404


def test_a_lot_made_before_it_could_serve_the_trial_is_refused_naming_the_field(trial):
    """A lot that expired before the protocol's earliest date (0001-01-01 typed) is refused."""
    body = {"code": "LOT-TYPO", "product": "cells", "manufacturer": "BioXcellerator lab",
            "manufactured_on": "0001-01-01", "cells_per_ml": 2e6}
    refused = trial.api(SUPPLY).post("/api/v1/supply/lots", body)
    assert refused.status_code == 422, refused.content
    assert refused.json()["fields"][0]["field"] == "manufactured_on"
    assert "expires before the trial" in refused.json()["fields"][0]["rule"]
    assert not Lot.objects.filter(code="LOT-TYPO").exists()
