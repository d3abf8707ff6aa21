"""Derived ventilator-free days and censored cytokines on PostgreSQL, through the real server
(``trialdesk serve``) over HTTP: the censored value is stored in jsonb with its limit, and
episodes saved at the same time all reach the end-of-study form's derived value."""

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
    fetch,
    postgres_database,
    randomized,
    running,
    setup_demo,
)

CYTOKINES = {"il1b": 2.5, "il6": "<LLOQ", "tnf_alpha": 12, "il10": 14.2}


@pytest.mark.postgres
def test_derived_and_censored_values_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=4, task_workers=0) as server:
            investigator = api_session(server.url, users["investigator-co-01"])
            code = randomized(investigator, server.url, 1)
            coordinator = api_session(server.url, users["coordinator-co-01"])
            base = f"{server.url}/api/v1/participants/{code}/visits"
            saved = coordinator.put(f"{base}/day0/forms/cytokines", timeout=60,
                                    json={"values": CYTOKINES, "complete": True})
            assert saved.status_code == 201, saved.text
            eos = coordinator.put(f"{base}/day28/forms/end_of_study", timeout=60, json={
                "values": {"vital_status_day28": "alive"}, "complete": True})
            assert eos.status_code == 201, eos.text
            assert eos.json()["values"]["ventilator_free_days"] == 28  # no episode yet
            today = dt.datetime.now(dt.UTC).date()  # the real clock: day 0 (UTC) is today

            def episode(seq: int) -> int:
                # seq 1 ended on day 0; the others are ongoing from day 0 (to the horizon)
                values = {"ventilation_start": f"{today - dt.timedelta(days=1)}T08:00",
                          "ventilation_stop": f"{today}T00:05" if seq == 1 else None,
                          "ventilation_episode_mode": "ett"}
                return coordinator.put(f"{base}/log/forms/ventilation_episode?seq={seq}",
                                       json={"values": values, "complete": True},
                                       timeout=60).status_code

            with ThreadPoolExecutor(3) as pool:
                assert sorted(pool.map(episode, [1, 2, 3])) == [201, 201, 201]
            read = coordinator.get(f"{base}/day28/forms/end_of_study", timeout=60).json()
            assert read["values"]["ventilator_free_days"] == 0
        rows = fetch(tmp_path, database,
                     "SELECT values->'il6'->>'censored', values->'il6'->>'limit' "
                     "FROM capture_forminstance WHERE form = 'cytokines'")
        assert rows == [("<", "1.5")]
        rows = fetch(tmp_path, database,
                     "SELECT values->>'ventilator_free_days' FROM capture_forminstance "
                     "WHERE form = 'end_of_study'")
        assert rows == [("0",)]
    finally:
        drop_database(admin_url, database)
