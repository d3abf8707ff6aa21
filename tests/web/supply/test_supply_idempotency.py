"""Issue 12: a lot, a shipment and a custody hand-over each take an idempotency key
(``core.idempotency``): a retry answers the first record and ships (or registers) nothing again."""

from __future__ import annotations

import datetime as dt

from idempotency import assert_idempotent
from supply_kit import SUPPLY, free_kits, released_lot_with_kits, ship, today

from trialdesk.web.supply.models import Lot, Shipment

LOTS, SHIPMENTS = "/api/v1/supply/lots", "/api/v1/supply/shipments"


def test_a_retried_lot_registration_is_the_first_lot(trial):
    lot = {"code": "LOT-IDEM", "product": "placebo", "manufacturer": "BioXcellerator lab",
           "manufactured_on": today().isoformat()}
    assert_idempotent(trial.api(SUPPLY), LOTS, lot, counted=(Lot,),
                      other_body={**lot, "code": "LOT-OTHER"})
    assert list(Lot.objects.values_list("code", flat=True)) == ["LOT-IDEM"]


def test_a_retried_shipment_ships_once(trial):
    kits = free_kits("CO-01", count=2)
    released_lot_with_kits(trial, "LOT", kits)
    shipment = {"kits": kits, "destination": "CO-01", "origin": "Depot Bogotá"}
    answer = assert_idempotent(trial.api(SUPPLY), SHIPMENTS, shipment, counted=(Shipment,),
                               other_body={**shipment, "kits": kits[:1]})
    assert Shipment.objects.get().pk == answer["id"]


def test_a_retried_custody_hand_over_is_recorded_once(trial):
    kits = free_kits("CO-01", count=1)
    released_lot_with_kits(trial, "LOT", kits)
    shipment = ship(trial, kits)["id"]
    hand_over = {"handed_by": "Depot", "received_by": "World Courier", "place": "Bogotá",
                 "at": dt.datetime.now(dt.UTC).isoformat()}
    answer = assert_idempotent(trial.api(SUPPLY), f"{SHIPMENTS}/{shipment}/custody", hand_over,
                               other_body={**hand_over, "place": "Medellín"})
    assert len(answer["custody"]) == 1
