"""Every lock and unlock path on PostgreSQL, through the real server (``trialdesk serve``) over
HTTP: form, participant and database locks taken and lifted through the API
(``POST /api/v1/locks``, ``POST /api/v1/locks/{id}/unlock``) and through the page
(``/capture/locks/``). Unlocking once answered 500 on PostgreSQL (``FOR UPDATE cannot be applied
to the nullable side of an outer join``), which left a locked database locked for good: after each
database unlock here, a randomization goes through again."""

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
VITALS = {"heart_rate": 80, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37}
TIMEOUT = 120  # a loaded 2-core machine: generous, never asserted on


def _page_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    return page_post(session, f"{url}/capture/locks/", data, timeout=TIMEOUT)


def _lock(url: str, users: dict, body: dict) -> requests.Response:
    """Lock through the API; when the lock checklist refuses (forms missing, unsigned...), through
    the two-person override: the data manager requests, the principal investigator confirms."""
    manager = api_session(url, users["data_manager"])
    answer = manager.post(f"{url}/api/v1/locks", json=body, timeout=TIMEOUT)
    if answer.status_code != 409 or answer.json()["error"] != "checklist_outstanding":
        return answer
    asked = manager.post(f"{url}/api/v1/locks/overrides", timeout=TIMEOUT, json={
        **body, "reason": "locked for the test despite outstanding items",
        "password": users["data_manager"]["password"]})
    assert asked.status_code == 201, asked.text
    confirmer = api_session(url, users["principal_investigator"])
    return confirmer.post(f"{url}/api/v1/locks/overrides/{asked.json()['id']}/confirm",
                          json={"password": users["principal_investigator"]["password"]},
                          timeout=TIMEOUT)


def _active(manager: requests.Session, url: str) -> list[dict]:
    answer = manager.get(f"{url}/api/v1/locks", timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _form(url: str, code: str, form: str = "respiratory") -> str:
    return f"{url}/api/v1/participants/{code}/visits/day0/forms/{form}"


def _randomize(investigator: requests.Session, url: str, code: str) -> requests.Response:
    return investigator.post(f"{url}/api/v1/participants/{code}/randomize", json={},
                             timeout=TIMEOUT)


def _complete_respiratory(coordinator: requests.Session, url: str, code: str) -> None:
    saved = coordinator.put(_form(url, code), json={"values": RESPIRATORY, "complete": True},
                            timeout=TIMEOUT)
    assert saved.status_code == 201, saved.text


def _change(coordinator: requests.Session, url: str, code: str, peep: int) -> requests.Response:
    return coordinator.put(_form(url, code), timeout=TIMEOUT, json={
        "values": {**RESPIRATORY, "peep": peep}, "complete": True, "reason": "re-measured"})


def _api_paths(url: str, users: dict, investigator: requests.Session,
               coordinator: requests.Session, code: str, waiting: list[str]) -> None:
    manager = api_session(url, users["data_manager"])
    unlock = f"{url}/api/v1/locks/{{}}/unlock"

    # form
    locked = _lock(url, users, {"scope": "form", "participant": code, "visit": "day0",
                                "form": "respiratory", "reason": "cleaned"})
    assert locked.status_code == 201, locked.text
    refused = _change(coordinator, url, code, 11)
    assert refused.status_code == 409 and refused.json()["error"] == "form_locked"
    lifted = manager.post(unlock.format(locked.json()["id"]), json={"reason": "query on PEEP"},
                          timeout=TIMEOUT)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["unlock_reason"] == "query on PEEP"
    assert _change(coordinator, url, code, 11).status_code == 200
    assert _active(manager, url) == []

    # participant
    locked = _lock(url, users, {"scope": "participant", "participant": code})
    assert locked.status_code == 201, locked.text
    vitals = coordinator.put(_form(url, code, "vital_signs"), json={"values": VITALS},
                             timeout=TIMEOUT)
    assert vitals.status_code == 409 and vitals.json()["error"] == "participant_locked"
    lifted = manager.post(unlock.format(locked.json()["id"]), json={"reason": "late lab"},
                          timeout=TIMEOUT)
    assert lifted.status_code == 200, lifted.text
    assert coordinator.put(_form(url, code, "vital_signs"), json={"values": VITALS},
                           timeout=TIMEOUT).status_code == 201

    # database: every write refused, randomization included, until it is lifted
    locked = _lock(url, users, {"scope": "database", "reason": "interim"})
    assert locked.status_code == 201, locked.text
    refused = _randomize(investigator, url, waiting[0])
    assert refused.status_code == 409 and refused.json()["error"] == "database_locked"
    # an empty reason is refused, the lock stays
    assert manager.post(unlock.format(locked.json()["id"]), json={"reason": " "},
                        timeout=TIMEOUT).status_code == 422
    lifted = manager.post(unlock.format(locked.json()["id"]), json={"reason": "late SAE"},
                          timeout=TIMEOUT)
    assert lifted.status_code == 200, lifted.text
    again = manager.post(unlock.format(locked.json()["id"]), json={"reason": "twice"},
                         timeout=TIMEOUT)
    assert again.status_code == 409 and again.json()["error"] == "not_locked"
    randomized = _randomize(investigator, url, waiting.pop(0))
    assert randomized.status_code == 201, randomized.text
    assert _active(manager, url) == []


def _page_paths(url: str, users: dict, investigator: requests.Session,
                coordinator: requests.Session, code: str, waiting: list[str]) -> None:
    manager_api = api_session(url, users["data_manager"])
    manager = page_session(url, users["data_manager"], timeout=TIMEOUT)

    def lock_then_unlock(data: dict, scope: str) -> dict:
        answer = _page_post(manager, url, {**data, "scope": scope, "reason": f"{scope} (page)"})
        if answer.status_code == 409:  # refused with the checklist: the override
            assert 'data-reason="checklist_outstanding"' in answer.text
            answer = _lock(url, users, {**{k: v for k, v in data.items() if k != "seq"},
                                        "scope": scope})
            assert answer.status_code == 201, answer.text
        else:
            assert answer.status_code == 302, answer.text
        [lock] = _active(manager_api, url)
        assert lock["scope"] == scope
        return lock

    def unlock(lock: dict) -> None:
        answer = _page_post(manager, url, {"action": "unlock", "lock": str(lock["id"]),
                                           "reason": f"lifted {lock['scope']} (page)"})
        assert answer.status_code == 302, answer.text
        assert _active(manager_api, url) == []
        lifted = [item for item in manager_api.get(f"{url}/api/v1/locks?active=false",
                                                   timeout=TIMEOUT).json()
                  if item["id"] == lock["id"]]
        assert lifted[0]["unlock_reason"] == f"lifted {lock['scope']} (page)"

    # form
    lock = lock_then_unlock({"participant": code, "visit": "day0", "form": "respiratory",
                             "seq": "1"}, "form")
    assert _change(coordinator, url, code, 13).status_code == 409
    unlock(lock)
    assert _change(coordinator, url, code, 13).status_code == 200

    # participant
    lock = lock_then_unlock({"participant": code}, "participant")
    assert _change(coordinator, url, code, 14).status_code == 409
    unlock(lock)
    assert _change(coordinator, url, code, 14).status_code == 200

    # database
    lock = lock_then_unlock({}, "database")
    page = manager.get(f"{url}/capture/locks/", timeout=TIMEOUT)
    assert 'id="database-locked"' in page.text
    refused = _randomize(investigator, url, waiting[0])
    assert refused.status_code == 409 and refused.json()["error"] == "database_locked"
    unlock(lock)
    page = manager.get(f"{url}/capture/locks/", timeout=TIMEOUT)
    assert 'id="database-open"' in page.text
    randomized = _randomize(investigator, url, waiting.pop(0))
    assert randomized.status_code == 201, randomized.text
    assert _change(coordinator, url, code, 15).status_code == 200


@pytest.mark.postgres
def test_every_lock_and_unlock_path_works_on_postgresql(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as database:
        setup_demo(tmp_path, database, slots_per_stratum=8)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=1, threads=4, task_workers=0) as server:
            url = server.url
            investigator = api_session(url, users["investigator-co-01"])
            coordinator = api_session(url, users["coordinator-co-01"])
            code = enroll(investigator, url, 1)
            assert _randomize(investigator, url, code).status_code == 201
            _complete_respiratory(coordinator, url, code)
            # consented, not yet randomized: one randomized after each database unlock
            waiting = [enroll(investigator, url, index) for index in (2, 3)]

            _api_paths(url, users, investigator, coordinator, code, waiting)
            _page_paths(url, users, investigator, coordinator, code, waiting)
        log = (tmp_path / "server.log").read_text()
        assert "Internal Server Error" not in log and "Traceback" not in log, log
        rows = fetch(tmp_path, database, """
            SELECT scope, unlocked_at IS NOT NULL, unlock_reason FROM capture_lock ORDER BY id""")
        assert [(scope, lifted) for scope, lifted, _ in rows] == [
            ("form", True), ("participant", True), ("database", True)] * 2
        audit = fetch(tmp_path, database, """
            SELECT action, model FROM trials_auditrecord
            WHERE action IN ('lock', 'unlock') ORDER BY id""")
        assert len(audit) == 12
        assert fetch(tmp_path, database, "SELECT count(*) FROM trials_randomization") == [(3,)]
