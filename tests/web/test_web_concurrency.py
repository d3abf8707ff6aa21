"""Acceptance: 200 randomizations from 16 concurrent HTTP clients against gunicorn on loopback."""

from __future__ import annotations

import pytest
from live_server import (
    check_allocation_invariants,
    create_database,
    demo_users,
    drop_database,
    fetch,
    postgres_database,
    randomization_burst,
    running,
    setup_demo,
    trialdesk,
)

CLIENTS = 16
RANDOMIZATIONS = 200
SITES = ("co-01", "co-02", "co-03")


def _burst(data_dir, database):
    setup_demo(data_dir, database, slots_per_stratum=60)
    users = demo_users(data_dir)
    with running(data_dir, database, task_workers=0) as server:
        results = randomization_burst(server.url, users, sites=SITES, count=RANDOMIZATIONS,
                                      clients=CLIENTS)
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
