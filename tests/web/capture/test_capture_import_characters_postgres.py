"""Issue 12 leftover on PostgreSQL, through the real server (``trialdesk serve``): a NUL in the
participant column of an uploaded import file is refused with 422 naming row and column before
any row is saved (PostgreSQL takes no NUL in a query: it reached the database as a server error)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import (
    api_session,
    csrf_token,
    demo_users,
    fetch,
    fresh_postgres_database,
    page_session,
    randomized,
    running,
    setup_demo,
)

HEADER = "participant,visit,form,heart_rate,systolic_bp,diastolic_bp,temperature\n"
TIMEOUT = 120  # a loaded 2-core machine: generous, never asserted on


@pytest.mark.postgres
def test_a_nul_in_the_participant_column_is_refused_on_postgresql(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as url:
        setup_demo(tmp_path, url, slots_per_stratum=2)
        users = demo_users(tmp_path)
        with running(tmp_path, url, workers=1, threads=2) as server:
            investigator = api_session(server.url, users["investigator-co-01"])
            code = randomized(investigator, server.url, 0, timeout=TIMEOUT)
            coordinator = page_session(server.url, users["coordinator-co-01"])
            page = coordinator.get(f"{server.url}/capture/import/", timeout=TIMEOUT)
            rows = (HEADER + f"{code},day0,vital_signs,80,120,70,37.0\n"
                    + f"{code[:3]}\x00{code[3:]},day1,vital_signs,80,120,70,37.0\n")
            answer = coordinator.post(
                f"{server.url}/capture/import/", timeout=TIMEOUT,
                data={"format": "csv", "csrfmiddlewaretoken": csrf_token(page.text)},
                files={"file": ("rows.csv", rows.encode(), "text/csv")})
            assert answer.status_code == 422, answer.text[:500]
            assert ("row 2, column participant: must not contain the NUL character"
                    in answer.text)
        assert fetch(tmp_path, url, "SELECT count(*) FROM capture_forminstance") == [(0,)]
