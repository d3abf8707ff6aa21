"""The deviation log on PostgreSQL, through the real server over HTTP: two people changing the
same deviation at once (one wins, the other is told it is stale, nothing half-written), the CAPA
closed, the ethics filter and the lock check's query, the unblinding details kept from a blinded
reader."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from days import site_today

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

DETAILS = "Two bags of one arm swapped by the pharmacy"


@pytest.mark.postgres
def test_the_deviation_log_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=2) as server:
            site = api_session(server.url, users["investigator-co-01"])
            monitor = api_session(server.url, users["monitor"])
            code = randomized(site, server.url, 1)
            today = site_today("CO-01").isoformat()  # the site's day, not UTC's
            log = f"{server.url}/api/v1/deviations"
            created = site.post(log, timeout=60, json={
                "participant": code, "category": "study_treatment", "severity": "major",
                "description": "Infusion bag mix-up on day 1", "occurred_on": today,
                "discovery_method": "site_self_report", "unblinding_details": DETAILS})
            assert created.status_code == 201, created.text
            one = f"{log}/{created.json()['id']}"

            def change(text: str) -> requests.Response:
                return site.patch(one, timeout=60, json={
                    "corrective_action": text, "reason": "CAPA agreed", "expected_version": 1})

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(change, ["Bags checked by two people",
                                                 "Pharmacy retrained on labels"]))
            assert sorted(a.status_code for a in answers) == [200, 409]
            assert monitor.get(f"{log}?ethics=due", timeout=60).json()[0]["version"] == 2
            monitor.patch(one, timeout=60, json={
                "preventive_action": "Bar-code check at the bedside", "capa_completed_on": today,
                "ethics_reported_on": today, "reason": "Reported to the committee"},
            ).raise_for_status()
            closed = monitor.post(f"{one}/close", json={"reason": "CAPA verified"}, timeout=60)
            assert closed.json()["status"] == "closed", closed.text
            assert DETAILS not in monitor.get(f"{log}.csv", timeout=60).text
        updates = fetch(tmp_path, database, "SELECT count(*) FROM trials_auditrecord "
                                            "WHERE action = 'update_deviation'")
        assert updates == [(2,)]
    finally:
        drop_database(admin_url, database)
