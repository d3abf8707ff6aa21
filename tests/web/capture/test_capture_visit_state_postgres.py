"""The one visit rule and the screening prefill on PostgreSQL, through the real server over HTTP
(issue 16): a participant screened and randomized the same day has the screening visit due and
day 0 as the next visit; the day-0 respiratory form is offered the screening values, and saving
the offer stores them with an audit record (jsonb) naming them."""

from __future__ import annotations

import json
import sys
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


@pytest.mark.postgres
def test_visit_states_and_prefill_on_postgresql_through_the_real_server(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=1, threads=2, task_workers=0) as server:
            investigator = api_session(server.url, users["investigator-co-01"])
            code = randomized(investigator, server.url, 1)  # PaO2 70, FiO2 0.8, PEEP 10
            coordinator = api_session(server.url, users["coordinator-co-01"])
            base = f"{server.url}/api/v1/participants/{code}"
            schedule = coordinator.get(f"{base}/schedule", timeout=60).json()
            states = {v["visit"]: v["status"] for v in schedule["visits"]}
            assert states["screening"] == "due" and states["day0"] == "due"
            assert schedule["next_visit"]["visit"] == "day0"
            form = f"{base}/visits/day0/forms/respiratory"
            offer = coordinator.get(form, timeout=60).json()
            assert offer["values"] == {}
            assert offer["prefilled"]["values"] == {"pao2": 70, "fio2": 0.8, "peep": 10}
            saved = coordinator.put(form, timeout=60, json={
                "values": {**offer["prefilled"]["values"], "ventilation_mode": "imv"},
                "prefilled_from": offer["prefilled"]["source"]})
            assert saved.status_code == 201, saved.text
            assert saved.json()["values"]["pao2_fio2"] == pytest.approx(87.5, abs=0.5)
            assert "prefilled" not in coordinator.get(form, timeout=60).json()
        rows = fetch(tmp_path, database,
                     "SELECT object_id, changes->'prefilled_from'->'new' FROM trials_auditrecord "
                     "WHERE action = 'save_form'")
        sources = [source for key, source in rows if key == f"{code}/day0/respiratory/1"]
        assert len(sources) == 1
        source = sources[0] if isinstance(sources[0], dict) else json.loads(sources[0])
        assert source["corrected"] == [] and source["kept"] == ["fio2", "pao2", "peep"]
    finally:
        drop_database(admin_url, database)
