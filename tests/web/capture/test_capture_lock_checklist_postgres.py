"""The lock checklist and the two-person override on PostgreSQL, through the real server over
HTTP: the checklist of each scope, a lock refused with its list, overrides requested, declined,
confirmed (API and page) for a form, a participant and the database. The override's row is taken
FOR UPDATE with its nullable participant and form joined (the pitfall do_unlock's comment names:
PostgreSQL refuses FOR UPDATE on the nullable side of an outer join)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/web: live-server helpers
from live_server import (
    api_session,
    demo_users,
    enroll,
    fetch,
    fresh_postgres_database,
    page_post,
    page_session,
    running,
    setup_demo,
)

RESPIRATORY = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}
TIMEOUT = 120  # a loaded 2-core machine: generous, never asserted on
REASON = "Site closed: the missing forms cannot be obtained"
READINESS = "/capture/locks/readiness/"


def _page_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    return page_post(session, f"{url}{READINESS}", data, timeout=TIMEOUT)


@pytest.mark.postgres
def test_the_checklist_and_the_override_on_postgresql(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as database:
        setup_demo(tmp_path, database, slots_per_stratum=8)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=1, threads=4, task_workers=0) as server:
            url = server.url
            investigator = api_session(url, users["investigator-co-01"])
            coordinator = api_session(url, users["coordinator-co-01"])
            manager = api_session(url, users["data_manager"])
            pi = api_session(url, users["principal_investigator"])
            manager_password = users["data_manager"]["password"]
            pi_password = users["principal_investigator"]["password"]
            codes = [enroll(investigator, url, index) for index in (1, 2)]
            for code in codes:
                assert investigator.post(f"{url}/api/v1/participants/{code}/randomize",
                                         json={}, timeout=TIMEOUT).status_code == 201
            form = f"{url}/api/v1/participants/{codes[0]}/visits/day0/forms/respiratory"
            saved = coordinator.put(form, json={"values": RESPIRATORY, "complete": True},
                                    timeout=TIMEOUT)
            assert saved.status_code == 201, saved.text

            # the checklist of each scope
            for params in ({"scope": "database"},
                           {"scope": "participant", "participant": codes[0]},
                           {"scope": "form", "participant": codes[0], "visit": "day0",
                            "form": "respiratory"}):
                answer = manager.get(f"{url}/api/v1/locks/checklist", params=params,
                                     timeout=TIMEOUT)
                assert answer.status_code == 200, answer.text
                assert answer.json()["outstanding"] > 0, params
            # a lock refused with its list
            refused = manager.post(f"{url}/api/v1/locks", json={"scope": "database"},
                                   timeout=TIMEOUT)
            assert refused.status_code == 409, refused.text
            assert refused.json()["checklist"]["outstanding"] > 0

            # the form: requested and confirmed through the API
            body = {"scope": "form", "participant": codes[0], "visit": "day0",
                    "form": "respiratory", "reason": REASON}
            asked = manager.post(f"{url}/api/v1/locks/overrides", timeout=TIMEOUT,
                                 json={**body, "password": manager_password})
            assert asked.status_code == 201, asked.text
            confirm = f"{url}/api/v1/locks/overrides/{asked.json()['id']}/confirm"
            wrong = pi.post(confirm, json={"password": "wrong"}, timeout=TIMEOUT)
            assert wrong.status_code == 422, wrong.text
            done = pi.post(confirm, json={"password": pi_password}, timeout=TIMEOUT)
            assert done.status_code == 201, done.text
            again = pi.post(confirm, json={"password": pi_password}, timeout=TIMEOUT)
            assert again.status_code == 409 and again.json()["error"] == "override_closed"

            # the participant: requested, declined; requested again, confirmed
            body = {"scope": "participant", "participant": codes[1], "reason": REASON,
                    "password": manager_password}
            asked = manager.post(f"{url}/api/v1/locks/overrides", json=body, timeout=TIMEOUT)
            assert asked.status_code == 201, asked.text
            declined = pi.post(f"{url}/api/v1/locks/overrides/{asked.json()['id']}/close",
                               json={"reason": "Chase the missing forms first"},
                               timeout=TIMEOUT)
            assert declined.status_code == 200 and declined.json()["status"] == "declined"
            asked = manager.post(f"{url}/api/v1/locks/overrides", json=body, timeout=TIMEOUT)
            done = pi.post(f"{url}/api/v1/locks/overrides/{asked.json()['id']}/confirm",
                           json={"password": pi_password}, timeout=TIMEOUT)
            assert done.status_code == 201, done.text

            # the database: on the pages, the data manager requests, the PI confirms
            manager_page = page_session(url, users["data_manager"], timeout=TIMEOUT)
            answer = _page_post(manager_page, url, {"action": "lock"})
            assert answer.status_code == 409 and "checklist_outstanding" in answer.text
            answer = _page_post(manager_page, url, {"action": "request", "reason": REASON,
                                                    "password": manager_password})
            assert answer.status_code == 302, answer.text
            [pending] = manager.get(f"{url}/api/v1/locks/overrides",
                                    params={"status": "pending"}, timeout=TIMEOUT).json()
            pi_page = page_session(url, users["principal_investigator"], timeout=TIMEOUT)
            answer = _page_post(pi_page, url, {"action": "confirm",
                                               "override": str(pending["id"]),
                                               "password": pi_password})
            assert answer.status_code == 302, answer.text
            page = pi_page.get(f"{url}{READINESS}", timeout=TIMEOUT)
            assert 'id="database-locked"' in page.text
        log = (tmp_path / "server.log").read_text()
        assert "Internal Server Error" not in log and "Traceback" not in log, log
        assert fetch(tmp_path, database, """
            SELECT scope, status FROM capture_lockoverride ORDER BY id""") == [
            ("form", "applied"), ("participant", "declined"), ("participant", "applied"),
            ("database", "applied")]
        assert fetch(tmp_path, database, """
            SELECT scope FROM capture_lock WHERE unlocked_at IS NULL ORDER BY id""") == [
            ("form",), ("participant",), ("database",)]
        audit = fetch(tmp_path, database, """
            SELECT action, actor FROM trials_auditrecord
            WHERE action LIKE '%lock%' ORDER BY id""")
        assert [action for action, _ in audit] == [
            "request_lock_override", "lock", "confirm_lock_override",
            "request_lock_override", "declined_lock_override",
            "request_lock_override", "lock", "confirm_lock_override",
            "request_lock_override", "lock", "confirm_lock_override"]
