"""Issue 12 on PostgreSQL, through the real server over HTTP: eight clients send the same SAE
report with the same idempotency key at once (a client's retries racing each other). One event,
one alert per recipient, one audit record of the report; every answer the same event."""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import (
    demo_users,
    enroll,
    fetch,
    fresh_postgres_database,
    running,
    setup_demo,
    token,
)

CLIENTS = 8


@pytest.mark.postgres
def test_concurrent_retries_of_an_sae_report_make_one_event(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as database:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=4) as server:
            bearer = f"Bearer {token(server.url, users['investigator-co-01'])}"
            setup = requests.Session()
            setup.headers["Authorization"] = bearer
            code = enroll(setup, server.url, 1)
            setup.post(f"{server.url}/api/v1/participants/{code}/randomize", json={},
                       timeout=60).raise_for_status()
            report = {"participant": code, "term": "Pneumonia", "grade": 4,
                      "onset_date": dt.datetime.now(dt.UTC).date().isoformat(),
                      "hospitalization": True, "relatedness": "unlikely",
                      "idempotency_key": "sae-retry-race-0001"}

            def send(_: int) -> requests.Response:
                # a session per client: each its own connection, as separate retries would be
                with requests.Session() as session:
                    session.headers["Authorization"] = bearer
                    return session.post(f"{server.url}/api/v1/safety/adverse-events",
                                        json=report, timeout=120)

            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(send, range(CLIENTS)))
        assert [a.status_code for a in answers] == [201] * CLIENTS, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == CLIENTS - 1
        counts = fetch(tmp_path, database, """
            SELECT (SELECT count(*) FROM safety_adverseevent),
                   (SELECT count(*) - count(DISTINCT recipient) FROM safety_safetyalert),
                   (SELECT count(*) FROM trials_auditrecord WHERE action = 'report_adverse_event'),
                   (SELECT count(*) FROM core_idempotentanswer)""")
        # one event, one alert per recipient (none twice), one report audited, one answer kept
        assert counts == [(1, 0, 1, 1)]
