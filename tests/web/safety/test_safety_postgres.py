"""Adverse events on PostgreSQL, through the real server (``trialdesk serve``) over HTTP: an SAE
reported, its alerts sent through the mail backend by the server's task worker once the report
committed, a follow-up, and the case's clocks in Bogota time."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import (
    api_session,
    create_database,
    demo_users,
    drop_database,
    postgres_database,
    randomized,
    running,
    setup_demo,
)


@pytest.mark.postgres
def test_an_sae_on_postgresql_alerts_by_mail_through_the_real_server(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=1, threads=2) as server:
            session = api_session(server.url, users["investigator-co-01"])
            code = randomized(session, server.url, 1)
            today = dt.datetime.now(dt.UTC).date().isoformat()
            response = session.post(f"{server.url}/api/v1/safety/adverse-events", timeout=60,
                                    json={"participant": code, "term": "Pneumonia",
                                          "onset_date": today, "grade": 4,
                                          "hospitalization": True, "relatedness": "unlikely"})
            assert response.status_code == 201, response.text
            event = response.json()
            assert event["alert_reasons"] == ["sae", "grade_4_plus"]
            assert event["deadlines"][0]["due_local"].endswith("-05")
            follow = session.post(f"{server.url}/api/v1/safety/adverse-events/{event['id']}"
                                  "/follow-ups", timeout=60,
                                  json={"text": "Stable on the ward", "outcome": "recovering",
                                        "resolved": False})
            assert follow.status_code == 201, follow.text
            # the task worker `trialdesk serve` started sends them (issue 20): wait for it
            deadline = time.monotonic() + 120
            while True:
                alerts = session.get(f"{server.url}/api/v1/safety/alerts", timeout=60).json()
                if {a["status"] for a in alerts} == {"sent"} or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        # the worker's mail backend (in memory, live_server.py) took them after the commit
        # the configured addresses and the demo's safety contact and DSMB statistician
        assert {a["recipient"] for a in alerts} == {
            "sponsor@localhost", "dsmb@localhost", "safety_contact@demo.invalid",
            "dsmb_statistician@demo.invalid"}
        assert {a["status"] for a in alerts} == {"sent"}
    finally:
        drop_database(admin_url, database)
