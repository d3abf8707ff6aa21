"""Acceptance (issue 20): a backup taken during a randomization burst against the real server
restores to a database whose `audit verify` passes and which holds every allocation acknowledged
before the backup began, on SQLite and on PostgreSQL.

The burst runs from several HTTP clients while `trialdesk backup` runs as a subprocess, as an
administrator's cron job would; each randomization's acknowledgement time is noted, so the
allocations the backup must hold are exactly those acknowledged before it started.
"""

from __future__ import annotations

import stat
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))  # live-server helpers
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
PARTICIPANTS = 60
CLIENTS = 6
BEFORE_BACKUP = 12  # randomizations acknowledged before the backup starts, at least
ALLOCATIONS = """
    SELECT p.code, s.kit_code, s.arm FROM trials_randomization r
    JOIN trials_participant p ON p.id = r.participant_id
    JOIN trials_allocationslot s ON s.id = r.slot_id"""


def _sessions(url: str, users: dict) -> dict[str, requests.Session]:
    return {site: api_session(url, users[f"investigator-{site}"]) for site in SITES}


def _backup_during_burst(data_dir: Path, database: str | None, out: Path,
                         key: list[str]) -> tuple[dict[str, str], int, int]:
    """Run the burst; start the backup once BEFORE_BACKUP randomizations are acknowledged.

    Return (code -> kit code of every randomization acknowledged before the backup began,
    how many were acknowledged while it ran, how many in all).
    """
    users = demo_users(data_dir)
    with running(data_dir, database, workers=2, threads=4, task_workers=0) as server:
        sessions = _sessions(server.url, users)
        codes = [(SITES[i % len(SITES)], enroll(sessions[SITES[i % len(SITES)]], server.url, i))
                 for i in range(PARTICIPANTS)]
        acknowledged: list[tuple[float, str, str]] = []
        lock = threading.Lock()

        def randomize(item: tuple[str, str]) -> None:
            site, code = item
            response = sessions[site].post(
                f"{server.url}/api/v1/participants/{code}/randomize", timeout=120,
                json={"idempotency_key": idempotency_key()})
            assert response.status_code == 201, response.text
            with lock:
                acknowledged.append((time.monotonic(), code, response.json()["kit_code"]))

        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(randomize, item) for item in codes]
            while True:
                with lock:
                    if len(acknowledged) >= BEFORE_BACKUP:
                        break
                time.sleep(0.01)
            began = time.monotonic()
            with lock:
                before = {code: kit for at, code, kit in acknowledged if at < began}
            backup = trialdesk("backup", "--out", str(out), "--data-dir", str(data_dir), *key,
                               data_dir=data_dir, database=database, check=False)
            with lock:
                during = len(acknowledged) - len(before)  # acknowledged while it ran
            for future in futures:
                future.result()
    assert backup.returncode == 0, backup.stdout + backup.stderr
    return before, during, len(acknowledged)


def _restored_holds_the_acknowledged(data_dir: Path, database: str | None,
                                     restored_dir: Path, restored_db: str | None,
                                     before: dict[str, str]) -> None:
    verify = trialdesk("audit", "verify", "--data-dir", str(restored_dir),
                       data_dir=restored_dir, database=restored_db, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("audit trail intact")
    restored = {code: (kit, arm) for code, kit, arm in fetch(restored_dir, restored_db,
                                                              ALLOCATIONS)}
    live = {code: (kit, arm) for code, kit, arm in fetch(data_dir, database, ALLOCATIONS)}
    missing = sorted(set(before) - set(restored))
    assert missing == []
    assert {code: restored[code][0] for code in before} == before  # the same kits
    # every restored allocation is the live one (no slot moved), and the copy is consistent
    assert all(live[code] == value for code, value in restored.items())
    check_allocation_invariants(restored_dir, restored_db)
    assert len(before) <= len(restored) <= PARTICIPANTS
    assert stat.S_IMODE(restored_dir.stat().st_mode) == 0o700
    for name in ("secret_key", "allocation-seed", "demo-users.json"):
        assert (restored_dir / name).read_bytes() == (data_dir / name).read_bytes()
        assert stat.S_IMODE((restored_dir / name).stat().st_mode) == 0o600


def test_a_backup_during_a_burst_restores_every_acknowledged_allocation_sqlite(tmp_path):
    data_dir, restored_dir = tmp_path / "data", tmp_path / "restored"
    setup_demo(data_dir, slots_per_stratum=60)
    key = tmp_path / "backup.key"
    trialdesk("backup", "--new-key-file", str(key), data_dir=data_dir)
    out = tmp_path / "during-burst.tdbackup"
    before, during, total = _backup_during_burst(data_dir, None, out, ["--key-file", str(key)])
    assert len(before) >= BEFORE_BACKUP and total == PARTICIPANTS
    assert during > 0, "no randomization was acknowledged while the backup ran"
    restore = trialdesk("restore", str(out), "--data-dir", str(restored_dir), "--key-file",
                        str(key), data_dir=restored_dir, check=False)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "audit trail intact" in restore.stdout
    _restored_holds_the_acknowledged(data_dir, None, restored_dir, None, before)


@pytest.mark.postgres
def test_a_backup_during_a_burst_restores_every_acknowledged_allocation_postgresql(
        tmp_path, postgres_url):
    data_dir, restored_dir = tmp_path / "data", tmp_path / "restored"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a long passphrase for the PostgreSQL backup\n")
    passphrase.chmod(0o600)
    out = tmp_path / "during-burst.tdbackup"
    with fresh_postgres_database(postgres_url) as live, \
            fresh_postgres_database(postgres_url) as target:
        setup_demo(data_dir, live, slots_per_stratum=60)
        key = ["--passphrase-file", str(passphrase)]
        before, during, total = _backup_during_burst(data_dir, live, out, key)
        assert len(before) >= BEFORE_BACKUP and total == PARTICIPANTS
        assert during > 0, "no randomization was acknowledged while the backup ran"
        verify = trialdesk("backup", "--verify", str(out), *key,
                           data_dir=tmp_path, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "audit trail intact" in verify.stdout
        restore = trialdesk("restore", str(out), "--data-dir", str(restored_dir), *key,
                            data_dir=restored_dir, database=target, check=False)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        _restored_holds_the_acknowledged(data_dir, live, restored_dir, target, before)
        again = trialdesk("restore", str(out), "--data-dir", str(tmp_path / "other"), *key,
                          data_dir=tmp_path, database=target, check=False)
        assert again.returncode == 1
        assert "the target database is not empty" in again.stderr
