"""Consent's later events on PostgreSQL, through the real server over HTTP (issue 17): the
participant's own confirmation and a refusal sent at once (one wins, the other is refused, one
event stored), the randomization's one-statement consent check, a withdrawal ending the visits,
and the event log append-only under PostgreSQL's trigger."""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from eligible import ELIGIBLE_VALUES
from live_server import (
    api_session,
    create_database,
    demo_users,
    drop_database,
    fetch,
    postgres_database,
    running,
    setup_demo,
)


@pytest.mark.postgres
def test_consent_events_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=2) as server:
            site = api_session(server.url, users["investigator-co-01"])
            base = f"{server.url}/api/v1/participants"
            today = dt.datetime.now(dt.UTC).date().isoformat()
            code = site.post(base, json={"values": ELIGIBLE_VALUES}, timeout=60).json()["code"]
            consent = site.post(f"{base}/{code}/consent", timeout=60, json={
                "consent_date": today, "form_version": "1.0", "signer": "lar",
                "lar_name": "Ana Gómez", "lar_relationship": "spouse"})
            assert consent.status_code == 201, consent.text
            assert site.post(f"{base}/{code}/consent/capacity-regained", json={"date": today},
                             timeout=60).status_code == 201
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda path: site.post(
                    f"{base}/{code}/consent/{path}", json={"date": today}, timeout=60),
                    ["confirmation", "refusal"]))
            assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
            assert [a.json()["error"] for a in answers if a.status_code == 409] == [
                "no_capacity_task"]
            kinds = fetch(tmp_path, database, "SELECT kind FROM trials_consentevent ORDER BY id")
            assert len(kinds) == 2 and kinds[0] == ("capacity_regained",)
            randomized = site.post(f"{base}/{code}/randomize", json={}, timeout=60)
            refused = kinds[1] == ("refused",)
            assert randomized.status_code == (409 if refused else 201), randomized.text
            if not refused:
                withdrawal = site.post(f"{base}/{code}/consent/withdrawal", timeout=60, json={
                    "date": today, "level": "follow_up", "data_use": True})
                assert withdrawal.status_code == 201, withdrawal.text
                schedule = site.get(f"{base}/{code}/schedule", timeout=60).json()
                statuses = {v["visit"]: v["status"] for v in schedule["visits"]}
                assert [statuses[v] for v in ("day7", "day14", "day28")] == ["not_expected"] * 3
        with psycopg.connect(database) as connection, pytest.raises(
                psycopg.errors.RaiseException):
            connection.execute("UPDATE trials_consentevent SET kind = 'confirmed'")
    finally:
        drop_database(admin_url, database)
