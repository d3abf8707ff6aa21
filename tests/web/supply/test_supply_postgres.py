"""Issue 18's release, shipment and dispensing path on PostgreSQL, through the real server over
HTTP: a lot registered and released with quality's signature, its kit shipped and received with
the logger's CSV, then dispensed; a kit of a lot still pending is refused at shipment and at
dispensing; two receipts of one shipment at once: one succeeds, the other is told it is done;
two replacements of one kit at once: one new kit, the other told the kit was replaced."""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import (
    api_session,
    create_database,
    demo_users,
    drop_database,
    enroll,
    fetch,
    postgres_database,
    running,
    setup_demo,
)

PASSING = {"viable_cells": 1.2e8, "viability": 85, "sterility": "pass", "endotoxin": 0.1,
           "mycoplasma": "pass", "cd73_cd90_cd105": 98, "cd45_cd34": 1}
LOG = ("time,celsius\n2026-01-05T08:00:00Z,-180\n2026-01-05T08:15:00Z,-181\n"
       "2026-01-05T08:30:00Z,-179\n")


def _lot(supply, quality, url: str, code: str, arm: str, kits: list[str], password: str,
         *, release: bool = True) -> None:
    product = "cells" if arm == "msc" else "placebo"
    supply.post(f"{url}/api/v1/supply/lots", timeout=60, json={
        "code": code, "product": product, "manufacturer": "Lab", "cells_per_ml": 2e6,
        "manufactured_on": dt.datetime.now(dt.UTC).date().isoformat(),
        "results": PASSING}).raise_for_status()
    if release:
        quality.post(f"{url}/api/v1/supply/lots/{code}/release", timeout=60,
                     json={"password": password}).raise_for_status()
    supply.post(f"{url}/api/v1/supply/lots/{code}/kits", json={"kits": kits},
                timeout=60).raise_for_status()


def _replace_twice_at_once(server, users, supply, quality, url: str, kit: str) -> str:
    """A spare of each arm at CO-01; the investigator and the pharmacist replace ``kit`` at the
    same moment: one is given the new kit's code, the other told it was already replaced."""
    spares = {}
    for row in supply.get(f"{url}/api/v1/supply/kits", params={"site": "CO-01"},
                          timeout=60).json():
        if not row["allocated"] and row["lot"] is None:
            spares.setdefault(row["arm"], row["kit_code"])
    for index, (arm, spare) in enumerate(sorted(spares.items())):
        _lot(supply, quality, url, f"LOT-S{index}", arm, [spare], users["quality"]["password"])
    shipment = supply.post(f"{url}/api/v1/supply/shipments", timeout=60, json={
        "kits": list(spares.values()), "destination": "CO-01", "origin": "Depot"})
    pharmacy = api_session(server.url, users["pharmacist-co-01"])
    pharmacy.post(f"{url}/api/v1/supply/shipments/{shipment.json()['id']}/receive",
                  json={"temperature_log": LOG}, timeout=60).raise_for_status()
    path = f"{url}/api/v1/supply/kits/{kit}/replacement"
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(
            lambda session: session.post(path, json={"reason": "damaged"}, timeout=60),
            [api_session(server.url, users["investigator-co-01"]), pharmacy]))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    new = next(a for a in answers if a.status_code == 201).json()["kit_code"]
    assert new in spares.values() and new != kit
    return new


@pytest.mark.postgres
def test_release_shipment_and_dispensing_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=2, task_workers=0) as server:
            url = server.url
            site = api_session(server.url, users["investigator-co-01"])
            supply = api_session(server.url, users["supply_manager"])
            quality = api_session(server.url, users["quality"])
            pharmacy = api_session(server.url, users["pharmacist-co-01"])
            kits = []
            for index in (1, 2):
                code = enroll(site, url, index)
                answer = site.post(f"{url}/api/v1/participants/{code}/randomize", json={},
                                   timeout=60)
                answer.raise_for_status()
                kits.append(answer.json()["kit_code"])
            arm = {row["kit_code"]: row["arm"]
                   for row in supply.get(f"{url}/api/v1/supply/kits", params={"site": "CO-01"},
                                         timeout=60).json()}
            released, pending = kits
            _lot(supply, quality, url, "LOT-A", arm[released], [released],
                 users["quality"]["password"])
            _lot(supply, quality, url, "LOT-B", arm[pending], [pending],
                 users["quality"]["password"], release=False)
            refused = supply.post(f"{url}/api/v1/supply/shipments", timeout=60, json={
                "kits": [released, pending], "destination": "CO-01", "origin": "Depot"})
            assert refused.status_code == 409 and pending in refused.json()["detail"]
            shipment = supply.post(f"{url}/api/v1/supply/shipments", timeout=60, json={
                "kits": [released], "destination": "CO-01", "origin": "Depot"})
            assert shipment.status_code == 201, shipment.text
            receive = f"{url}/api/v1/supply/shipments/{shipment.json()['id']}/receive"
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(
                    lambda session: session.post(receive, json={"temperature_log": LOG},
                                                 timeout=60), [pharmacy, supply]))
            assert sorted(a.status_code for a in answers) == [200, 409]
            dispensed = pharmacy.post(f"{url}/api/v1/kits/{released}/dispense",
                                      json={"lot": "LOT-A"}, timeout=60)
            assert dispensed.status_code == 201, dispensed.text
            not_released = pharmacy.post(f"{url}/api/v1/kits/{pending}/dispense",
                                         json={"lot": "LOT-B"}, timeout=60)
            assert not_released.status_code == 409
            assert "not released" in not_released.json()["detail"]
            replaced = _replace_twice_at_once(server, users, supply, quality, url, released)
        rows = fetch(tmp_path, database, "SELECT status FROM supply_lot WHERE code IN "
                     "('LOT-A', 'LOT-B') ORDER BY code")
        assert rows == [("released",), ("pending",)]
        receipts = fetch(tmp_path, database,
                         "SELECT count(*) FROM trials_auditrecord WHERE action = "
                         "'receive_shipment'")
        assert receipts == [(2,)]  # the first shipment's once (of two at once), the spares'
        # one replacement stored, its new kit taken out of the allocation
        rows = fetch(tmp_path, database,
                     "SELECT o.kit_code, n.kit_code, n.used FROM supply_kitreplacement r "
                     "JOIN trials_allocationslot o ON o.id = r.old_slot_id "
                     "JOIN trials_allocationslot n ON n.id = r.new_slot_id")
        assert rows == [(released, replaced, True)]
    finally:
        drop_database(admin_url, database)
