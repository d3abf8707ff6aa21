"""Data capture on PostgreSQL, through the real server (``trialdesk serve``) over HTTP: a form
saved with a confirmed soft-range value, its automatic query, concurrent saves of one form with
the same version (one wins, the other is told the form is stale), and the database lock."""

from __future__ import annotations

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
    fetch,
    postgres_database,
    randomized,
    running,
    setup_demo,
)

RESPIRATORY = {"pao2": 520, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


@pytest.mark.postgres
def test_capture_on_postgresql_through_the_real_server(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=4, task_workers=0) as server:
            investigator = api_session(server.url, users["investigator-co-01"])
            code = randomized(investigator, server.url, 1)
            coordinator = api_session(server.url, users["coordinator-co-01"])
            form = f"{server.url}/api/v1/participants/{code}/visits/day0/forms/respiratory"
            saved = coordinator.put(form, json={"values": RESPIRATORY, "complete": True,
                                                "confirm": ["pao2"]}, timeout=60)
            assert saved.status_code == 201, saved.text
            assert saved.json()["values"]["pao2_fio2"] == 1040
            assert [q["rule"] for q in saved.json()["queries"]] == ["soft_range"]

            def change(peep: int) -> int:
                body = {"values": {**RESPIRATORY, "peep": peep}, "complete": True,
                        "confirm": ["pao2"], "reason": "re-measured", "expected_version": 1}
                return coordinator.put(form, json=body, timeout=60).status_code

            with ThreadPoolExecutor(4) as pool:
                statuses = sorted(pool.map(change, [11, 12, 13, 14]))
            assert statuses == [200, 409, 409, 409]

            manager = api_session(server.url, users["data_manager"])
            refused = manager.post(f"{server.url}/api/v1/locks", json={"scope": "database"},
                                   timeout=60)  # the query is open, forms are missing
            assert refused.status_code == 409, refused.text
            asked = manager.post(f"{server.url}/api/v1/locks/overrides", timeout=60, json={
                "scope": "database", "reason": "interim analysis despite the open items",
                "password": users["data_manager"]["password"]})
            assert asked.status_code == 201, asked.text
            pi = api_session(server.url, users["principal_investigator"])
            locked = pi.post(f"{server.url}/api/v1/locks/overrides/{asked.json()['id']}/confirm",
                             json={"password": users["principal_investigator"]["password"]},
                             timeout=60)
            assert locked.status_code == 201, locked.text
            refused = coordinator.put(form, json={"values": RESPIRATORY, "reason": "x"},
                                      timeout=60)
            assert refused.status_code == 409
            assert refused.json()["error"] == "database_locked"
        rows = fetch(tmp_path, database,
                     "SELECT version, values->>'peep' FROM capture_forminstance")
        assert len(rows) == 1 and rows[0][0] == 2
    finally:
        drop_database(admin_url, database)
