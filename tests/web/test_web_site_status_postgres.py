"""A site's status on PostgreSQL, through the real server over HTTP: two administrators activating
the same site at once (one wins, the other is refused, one audit record), and the public registry
page listing only the activated site (issue 24)."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/web: live-server helpers
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
def test_site_activation_on_postgresql(tmp_path, postgres_url):
    admin_url, database = postgres_database(postgres_url)
    create_database(admin_url, database)
    try:
        setup_demo(tmp_path, database, sites="planned")
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=2, task_workers=0) as server:
            admin = api_session(server.url, users["admin"])

            def activate(reason: str) -> requests.Response:
                return admin.post(f"{server.url}/api/v1/sites/CO-01/status", timeout=60,
                                  json={"status": "active", "reason": reason,
                                        "activated_on": "2020-01-13"})

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(activate, ["Initiation visit done", "Ethics approved"]))
            assert sorted(a.status_code for a in answers) == [200, 409]
            page = requests.get(f"{server.url}/registry/NCT04390152", timeout=60).text
            assert "Clínica SOMER" in page
            assert "Medellín ICU site" not in page and "Bogotá ICU site" not in page
        assert fetch(tmp_path, database, "SELECT status, activated_on::text FROM trials_site "
                                         "ORDER BY code") == [
            ("active", "2020-01-13"), ("planned", None), ("planned", None)]
        assert fetch(tmp_path, database, "SELECT count(*) FROM trials_auditrecord "
                                         "WHERE action = 'set_site_status'") == [(1,)]
    finally:
        drop_database(admin_url, database)
