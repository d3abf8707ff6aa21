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


def test_a_retried_kit_replacement_replaces_once(trial):
    """A second replacement would take a second spare kit of the arm out of the site's stock."""
    from enrollment import randomize
    from supply_kit import arms, ship_and_receive

    from trialdesk.web.supply.models import KitReplacement

    _, kit = randomize(trial.api("investigator-co-01"))
    spares = [k for arm in arms() for k in free_kits("CO-01", arm, count=2)]
    released_lot_with_kits(trial, "LOT", [kit, *spares])
    ship_and_receive(trial, [kit, *spares])
    replacement = {"reason": "damaged", "note": "bag cracked at the port"}
    answer = assert_idempotent(trial.api("investigator-co-01"),
                               f"/api/v1/supply/kits/{kit}/replacement", replacement,
                               counted=(KitReplacement,),
                               other_body={**replacement, "reason": "expired"})
    assert KitReplacement.objects.count() == 1 and answer
