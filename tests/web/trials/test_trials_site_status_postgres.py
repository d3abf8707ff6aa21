"""A site closing while its investigators randomize, on PostgreSQL through the real server over
HTTP (issue 24's gap): every randomization commits before the closing or is refused after it with
site_not_active, none half-done (no slot used without its randomization, its audit record and its
restricted-log row); after the closing the site neither screens nor consents, and still follows
its randomized patients."""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from eligible import ELIGIBLE_VALUES
from live_server import (
    api_session,
    check_allocation_invariants,
    demo_users,
    enroll,
    fetch,
    fresh_postgres_database,
    running,
    setup_demo,
)

PATIENTS = 12
CLOSE_AFTER = 4  # the closing is sent after this many randomizations were sent


@pytest.mark.postgres
def test_a_site_closing_during_randomizations_leaves_none_half_done(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as database:
        setup_demo(tmp_path, database)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=2, threads=4, task_workers=0) as server:
            investigator = api_session(server.url, users["investigator-co-01"])
            admin = api_session(server.url, users["admin"])
            codes = [enroll(investigator, server.url, index) for index in range(PATIENTS)]

            def randomize(code: str) -> requests.Response:
                with requests.Session() as session:  # a connection per request, as clients
                    session.headers.update(investigator.headers)
                    return session.post(f"{server.url}/api/v1/participants/{code}/randomize",
                                        json={}, timeout=120)

            def close() -> requests.Response:
                return admin.post(f"{server.url}/api/v1/sites/CO-01/status", timeout=120,
                                  json={"status": "closed", "reason": "Sponsor's decision."})

            with ThreadPoolExecutor(4) as pool:
                sent = [pool.submit(randomize, code) for code in codes[:CLOSE_AFTER]]
                closing = pool.submit(close)
                sent += [pool.submit(randomize, code) for code in codes[CLOSE_AFTER:]]
                answers = [future.result() for future in sent]
                closed = closing.result()
            assert closed.status_code == 200, closed.text
            refused = [a for a in answers if a.status_code == 409]
            assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
            assert {a.text for a in refused} <= {
                '{"error": "site_not_active", "detail": "site CO-01 is closed: randomization '
                'is open only at an active site"}'}
            # closed: no new patient, and no consent for one screened before
            screened = investigator.post(f"{server.url}/api/v1/participants", timeout=60,
                                         json={"values": ELIGIBLE_VALUES})
            assert (screened.status_code, screened.json()["error"]) == (409, "site_not_active")
            # the patients already randomized are followed: an adverse event is reported
            followed = [c for c, a in zip(codes, answers, strict=True) if a.status_code == 201]
            if followed:
                event = investigator.post(f"{server.url}/api/v1/safety/adverse-events",
                                          timeout=60, json={
                    "participant": followed[0], "term": "Pneumonia", "grade": 2,
                    "onset_date": dt.datetime.now(dt.UTC).date().isoformat(),
                    "relatedness": "unlikely"})
                assert event.status_code == 201, event.text
        randomized = PATIENTS - len(refused)
        assert check_allocation_invariants(tmp_path, database)["randomized"] == randomized
        counts = fetch(tmp_path, database, """
            SELECT (SELECT count(*) FROM trials_allocationslot WHERE used),
                   (SELECT count(*) FROM trials_restrictedallocationlog),
                   (SELECT count(*) FROM trials_auditrecord WHERE action = 'randomize')""")
        assert counts == [(randomized, randomized, randomized)]
        # every randomization the server accepted was written before the closing
        order = fetch(tmp_path, database, """
            SELECT (SELECT max(seq) FROM trials_auditrecord WHERE action = 'randomize'),
                   (SELECT seq FROM trials_auditrecord WHERE action = 'set_site_status'
                    AND object_id = 'CO-01' AND changes::text LIKE '%closed%')""")
        last_randomization, closing_seq = order[0]
        assert last_randomization is None or last_randomization < closing_seq
