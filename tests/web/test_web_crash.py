"""Acceptance: SIGKILL the server in the middle of a randomization burst, ten times, restarting.

No slot is used twice, no participant is randomized twice, every acknowledged randomization
survives, a retry with the same idempotency key after the crash returns the first result, and
the audit chain verifies.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from live_server import (
    Server,
    check_allocation_invariants,
    demo_users,
    enroll,
    fetch,
    idempotency_key,
    running,
    setup_demo,
    token,
    trialdesk,
)

CYCLES = 10
BATCH = 24
CLIENTS = 8


def _randomize(server_url: str, bearer: str, code: str, key: str) -> tuple[str, int | None, dict]:
    try:
        response = requests.post(f"{server_url}/api/v1/participants/{code}/randomize",
                                 json={"idempotency_key": key}, timeout=30,
                                 headers={"Authorization": f"Bearer {bearer}"})
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        return code, None, {}  # the server died before (or while) answering
    return code, response.status_code, response.json() if response.status_code < 500 else {}


def test_sigkill_mid_burst_ten_times_loses_nothing_and_doubles_nothing(tmp_path):
    rng = random.Random(6)
    setup_demo(tmp_path, None, slots_per_stratum=80)
    investigator = demo_users(tmp_path)["investigator-co-01"]
    with running(tmp_path, None, workers=1, threads=8, task_workers=0) as server:
        bearer = token(server.url, investigator)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {bearer}"
        codes = [enroll(session, server.url, i) for i in range(CYCLES * BATCH // 2)]
    keys = {code: idempotency_key() for code in codes}
    acknowledged: dict[str, str] = {}
    interrupted_cycles = 0
    pending = list(codes)
    for _ in range(CYCLES):
        server = Server(tmp_path, workers=1, threads=8, task_workers=0)
        first_answer = threading.Event()
        batch = pending[:BATCH]

        def call(code: str, url: str = server.url, event: threading.Event = first_answer):
            result = _randomize(url, bearer, code, keys[code])
            event.set()
            return result

        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(call, code) for code in batch]
            first_answer.wait(timeout=30)
            threading.Event().wait(rng.uniform(0.0, 0.03))
            server.kill()
            results = [future.result() for future in futures]
        if any(status is None for _, status, _ in results):
            interrupted_cycles += 1
        for code, status, body in results:
            assert status in (None, 200, 201), (code, status, body)
            if status in (200, 201):
                assert acknowledged.setdefault(code, body["kit_code"]) == body["kit_code"]
        pending = [code for code in pending if code not in acknowledged]
    assert interrupted_cycles >= CYCLES // 2, "the kills did not land inside the bursts"
    with running(tmp_path, None, workers=1, threads=8, task_workers=0) as server:
        retried = [_randomize(server.url, bearer, code, keys[code]) for code in codes]
    for code, status, body in retried:
        assert status in (200, 201), (code, status, body)
        if code in acknowledged:
            assert (status, body["kit_code"]) == (200, acknowledged[code])
    stored = dict(fetch(tmp_path, None, """
        SELECT p.code, s.kit_code FROM trials_randomization r
        JOIN trials_participant p ON p.id = r.participant_id
        JOIN trials_allocationslot s ON s.id = r.slot_id"""))
    assert stored == {code: body["kit_code"] for code, _, body in retried}
    assert check_allocation_invariants(tmp_path, None)["randomized"] == len(codes)
    verify = trialdesk("audit", "verify", "--data-dir", str(tmp_path), data_dir=tmp_path,
                       check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
