"""Acceptance: 200 randomizations from 16 concurrent HTTP clients against gunicorn on loopback."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from live_server import (
    check_allocation_invariants,
    create_database,
    demo_users,
    drop_database,
    enroll,
    fetch,
    idempotency_key,
    postgres_database,
    running,
    setup_demo,
    token,
    trialdesk,
)

CLIENTS = 16
RANDOMIZATIONS = 200
SITES = ("co-01", "co-02", "co-03")


def _burst(data_dir, database):
    setup_demo(data_dir, database, slots_per_stratum=60)
    users = demo_users(data_dir)
    with running(data_dir, database) as server:
        tokens = {site: token(server.url, users[f"investigator-{site}"]) for site in SITES}
        local = threading.local()

        def session(site: str) -> requests.Session:
            sessions = getattr(local, "sessions", None) or {}
            local.sessions = sessions
            if site not in sessions:
                sessions[site] = requests.Session()
                sessions[site].headers["Authorization"] = f"Bearer {tokens[site]}"
            return sessions[site]

        def prepare(index: int) -> tuple[str, str]:
            site = SITES[index % len(SITES)]
            return site, enroll(session(site), server.url, index)

        with ThreadPoolExecutor(CLIENTS) as pool:
            enrolled = list(pool.map(prepare, range(RANDOMIZATIONS)))

        def randomize(item: tuple[str, str]) -> tuple[str, int, dict]:
            site, code = item
            response = session(site).post(
                f"{server.url}/api/v1/participants/{code}/randomize", timeout=60,
                json={"idempotency_key": idempotency_key()})
            return code, response.status_code, response.json()

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(randomize, enrolled))
    assert [status for _, status, _ in results if status != 201] == []
    kits = [body["kit_code"] for _, _, body in results]
    assert len(set(kits)) == RANDOMIZATIONS
    assert all("arm" not in body for _, _, body in results)
    stored = dict(fetch(data_dir, database, """
        SELECT p.code, s.kit_code FROM trials_randomization r
        JOIN trials_participant p ON p.id = r.participant_id
        JOIN trials_allocationslot s ON s.id = r.slot_id"""))
    assert stored == {code: body["kit_code"] for code, _, body in results}
    counts = check_allocation_invariants(data_dir, database)
    assert counts["randomized"] == RANDOMIZATIONS
    verify = trialdesk("audit", "verify", "--data-dir", str(data_dir), data_dir=data_dir,
                       database=database, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_200_concurrent_randomizations_on_sqlite(tmp_path):
    _burst(tmp_path, None)


@pytest.mark.postgres
def test_200_concurrent_randomizations_on_postgresql(tmp_path, postgres_url):
    admin_url, url = postgres_database(postgres_url)
    create_database(admin_url, url)
    try:
        _burst(tmp_path, url)
    finally:
        drop_database(admin_url, url)
