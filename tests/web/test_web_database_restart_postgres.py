"""Acceptance (issue 20): PostgreSQL's connections are cut in the middle of a randomization burst.

A server (gunicorn, persistent connections) randomizes from concurrent clients while a second
connection ends every backend of the test's own database, again and again
(``pg_terminate_backend``, the effect a restart has on each connection; the machine's shared
server is never restarted). Requests that meet a cut connection answer 503 with ``Retry-After``
and the ``database_unavailable`` error, never a 500; each client sends the same request with the
same idempotency key until it is answered; then: one allocation per participant, no slot used
twice, every block consistent, the answers' kit codes the stored ones, a further retry of each key
answers its first result and allocates nothing, and ``trialdesk audit verify`` passes.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest
import requests
from live_server import (
    api_session,
    check_allocation_invariants,
    demo_users,
    enroll,
    fetch,
    fresh_postgres_database,
    idempotency_key,
    running,
    setup_demo,
    trialdesk,
)

SITES = ("co-01", "co-02", "co-03")
PARTICIPANTS = 48
CLIENTS = 8
CUT_EVERY = 6  # acknowledged randomizations between two cuts
DEADLINE = 300.0  # seconds for the whole burst: generous, the machine is shared


class Cutter:
    """Ends every backend of the database of ``url`` but its own, each time enough
    randomizations were acknowledged since the last cut; counts the backends it ended."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.name = urlparse(url).path.lstrip("/")
        self.connection = psycopg.connect(url, autocommit=True)
        self.acknowledged = 0
        self.terminated = 0
        self.cuts = 0
        self.done = threading.Event()
        self.changed = threading.Condition()

    def acknowledge(self) -> None:
        with self.changed:
            self.acknowledged += 1
            self.changed.notify_all()

    def run(self) -> None:
        next_cut = CUT_EVERY
        while not self.done.is_set():
            with self.changed:
                self.changed.wait_for(lambda due=next_cut: self.acknowledged >= due
                                      or self.done.is_set(), timeout=1)
                if self.acknowledged < next_cut:
                    continue
            ended = self.connection.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", [self.name]).fetchone()[0]
            self.terminated += ended
            self.cuts += 1
            next_cut = self.acknowledged + CUT_EVERY


def _randomize_until_answered(session: requests.Session, url: str, code: str, key: str,
                              unavailable: list[dict], deadline: float
                              ) -> tuple[str, int, dict]:
    while True:
        response = session.post(f"{url}/api/v1/participants/{code}/randomize", timeout=120,
                                headers={"Idempotency-Key": key}, json={})
        if response.status_code != 503:
            return code, response.status_code, response.json()
        unavailable.append({"retry_after": response.headers.get("Retry-After"),
                            "body": response.json()})
        assert time.monotonic() < deadline, f"{code} still refused at the deadline"
        # the hint says 5 s; a test need not wait that long to retry
        time.sleep(min(float(response.headers.get("Retry-After", "1")), 0.5))


@pytest.mark.postgres
def test_connections_cut_mid_burst_answer_503_and_retries_allocate_once(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as url:
        setup_demo(tmp_path, url, slots_per_stratum=40)
        with running(tmp_path, url, workers=2, threads=4, task_workers=0) as server:
            cutter, unavailable, answers, replays = _burst(server.url, url, tmp_path)
        _check(tmp_path, url, cutter, unavailable, answers, replays)


def _burst(server_url: str, url: str, data_dir) -> tuple:
    users = demo_users(data_dir)
    sessions = {site: api_session(server_url, users[f"investigator-{site}"]) for site in SITES}
    codes = [(SITES[i % len(SITES)], enroll(sessions[SITES[i % len(SITES)]], server_url, i))
             for i in range(PARTICIPANTS)]
    keys = {code: idempotency_key() for _, code in codes}
    cutter = Cutter(url)
    unavailable: list[dict] = []
    deadline = time.monotonic() + DEADLINE

    def randomize(item: tuple[str, str]) -> tuple[str, int, dict]:
        site, code = item
        answer = _randomize_until_answered(sessions[site], server_url, code, keys[code],
                                           unavailable, deadline)
        cutter.acknowledge()
        return answer

    cutting = threading.Thread(target=cutter.run, daemon=True)
    cutting.start()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(randomize, codes))
    finally:
        cutter.done.set()
        cutting.join(timeout=60)
        cutter.connection.close()
    # every key once more, after the burst: the first result again, nothing allocated
    replays = [_randomize_until_answered(sessions[site], server_url, code, keys[code],
                                         unavailable, time.monotonic() + 120)
               for site, code in codes]
    return cutter, unavailable, answers, replays


def _check(data_dir, url: str, cutter: Cutter, unavailable: list[dict], answers: list,
           replays: list) -> None:
    # the figures, shown with pytest -s
    print(f"cuts {cutter.cuts}, backends ended {cutter.terminated}, 503 answers "
          f"{len(unavailable)}, first answers 201: {sum(s == 201 for _, s, _ in answers)}, "
          f"200 (a retry of a committed request): {sum(s == 200 for _, s, _ in answers)}")
    assert [(code, status) for code, status, _ in answers if status not in (200, 201)] == []
    assert cutter.cuts >= 3 and cutter.terminated >= cutter.cuts
    assert unavailable, "no request met a cut connection: the test tested nothing"
    assert {hint["retry_after"] for hint in unavailable} == {"5"}
    assert {hint["body"]["error"] for hint in unavailable} == {"database_unavailable"}
    kits = {code: body["kit_code"] for code, _, body in answers}
    assert len(set(kits.values())) == PARTICIPANTS
    assert {code: (status, body["kit_code"]) for code, status, body in replays} == {
        code: (200, kit) for code, kit in kits.items()}
    stored = dict(fetch(data_dir, url, """
        SELECT p.code, s.kit_code FROM trials_randomization r
        JOIN trials_participant p ON p.id = r.participant_id
        JOIN trials_allocationslot s ON s.id = r.slot_id"""))
    assert stored == kits
    assert check_allocation_invariants(data_dir, url)["randomized"] == PARTICIPANTS
    audited = fetch(data_dir, url,
                    "SELECT count(*) FROM trials_auditrecord WHERE action = 'randomize'")
    assert audited == [(PARTICIPANTS,)]
    verify = trialdesk("audit", "verify", "--data-dir", str(data_dir), data_dir=data_dir,
                       database=url, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
