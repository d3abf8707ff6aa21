"""Scheduled work with real processes (issue 20): two pollers racing over the same due
schedules queue each due run once, on SQLite and PostgreSQL; a backup run whose worker is
SIGKILLed mid-write is done again by another worker and completes once, leaving one whole
backup (``trialdesk backup --verify`` passes) and no half-written file.

Every process runs in its own process group registered with ``live_server`` (the session's leak
check covers it) and is ended in a ``finally``, as in tests/web/worker/test_worker_kill.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import live_server
import pytest
from migrated_template import start_migrated

SCHEDULES = 6
DEADLINE = 240.0  # seconds: generous, for a loaded 2-core machine

CREATE = f"""
import datetime as dt, sys
from trialdesk.web.bootstrap import setup_django
setup_django()
from trialdesk.web.schedules.scheduler import do_create_schedule
now = dt.datetime.now(dt.UTC)
for index in range({SCHEDULES}):
    do_create_schedule(kind="backup", every=dt.timedelta(hours=1),
                       first=now - dt.timedelta(minutes=index), settings={{
                           "out_dir": sys.argv[1], "keep": 2, "key_file": sys.argv[2]}})
"""
# polls as every worker's heartbeat does, from a common start so that the two race
POLLER = """
import sys, time
from trialdesk.web.bootstrap import setup_django
setup_django()
from trialdesk.web.schedules.scheduler import enqueue_due
start = float(sys.argv[1])
time.sleep(max(start - time.time(), 0))
queued = 0
for _ in range(40):
    queued += len(enqueue_due())
print(queued, flush=True)
"""


def _key(tmp_path: Path) -> Path:
    from trialdesk.backup.crypto import new_key_file

    key = tmp_path / "backup.key"
    new_key_file(key)
    return key


def _two_pollers(tmp_path: Path, database: str | None) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "pollers.log"
    start_migrated(data_dir, database)
    env = live_server._env(data_dir, database)
    subprocess.run([sys.executable, "-c", CREATE, str(tmp_path / "backups"),
                    str(_key(tmp_path))], env=env, check=True, timeout=300)
    start = time.time() + 8  # both processes set up Django first
    pollers = [live_server.spawn(["-c", POLLER, str(start)], env, log, stdout=subprocess.PIPE)
               for _ in range(2)]
    try:
        counts = [int(process.communicate(timeout=DEADLINE)[0].split()[-1])
                  for process in pollers]
    finally:
        for process in pollers:
            live_server.end_group(process.pid)
    assert sum(counts) == SCHEDULES, (counts, log.read_text())
    runs = live_server.fetch(data_dir, database,
                             "SELECT schedule_id, due_at FROM schedules_scheduledrun")
    assert len(runs) == len(set(runs)) == SCHEDULES
    tasks = live_server.fetch(data_dir, database,
                              "SELECT args_kwargs FROM django_tasks_database_dbtaskresult")
    args = [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in tasks]
    assert sorted(arg["args"][0] for arg in args) == sorted(
        row[0] for row in live_server.fetch(data_dir, database,
                                            "SELECT id FROM schedules_scheduledrun"))
    queued = live_server.fetch(data_dir, database, "SELECT count(*) FROM trials_auditrecord "
                                                   "WHERE action = 'queue_scheduled_backup'")
    assert queued == [(SCHEDULES,)]


@pytest.mark.slow
def test_two_pollers_queue_each_due_run_once_on_sqlite(tmp_path):
    _two_pollers(tmp_path, None)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_pollers_queue_each_due_run_once_on_postgresql(tmp_path, postgres_url):
    admin_url, url = live_server.postgres_database(postgres_url)
    live_server.create_database(admin_url, url)
    try:
        _two_pollers(tmp_path, url)
    finally:
        live_server.drop_database(admin_url, url)


ONE_BACKUP = """
import datetime as dt, sys
from trialdesk.web.bootstrap import setup_django
setup_django()
from trialdesk.web.schedules.scheduler import do_create_schedule
do_create_schedule(kind="backup", every=dt.timedelta(days=1),
                   first=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
                   settings={"out_dir": sys.argv[1], "keep": 3, "key_file": sys.argv[2]})
"""
# a real worker whose backup stalls once it has written part of the encrypted file
STALLING_WORKER = """
import time
from trialdesk.web.bootstrap import setup_django
setup_django()
from trialdesk.backup import operations
from trialdesk.web.worker.runner import run_worker
write = operations.write_backup

def stalling(handle, *args, **kwargs):
    handle.write(b"the first bytes of a backup")
    handle.flush()
    time.sleep(600)

operations.write_backup = stalling
run_worker(interval=0.2)
"""


@pytest.mark.slow
def test_a_backup_run_whose_worker_is_killed_is_done_again_and_completes_once(tmp_path):
    data_dir, log, out = tmp_path / "data", tmp_path / "workers.log", tmp_path / "backups"
    live_server.setup_demo(data_dir, slots_per_stratum=4)
    key = _key(tmp_path)
    env = {**live_server._env(data_dir, None), "TRIALDESK_WORKER_LEASE_SECONDS": "1.5"}
    subprocess.run([sys.executable, "-c", ONE_BACKUP, str(out), str(key)], env=env, check=True,
                   timeout=300)

    def run() -> tuple:
        rows = live_server.fetch(data_dir, None, "SELECT state, attempts, result FROM "
                                                 "schedules_scheduledrun")
        return rows[0] if rows else None

    worker = ["-m", "trialdesk.cli", "worker", "--data-dir", str(data_dir), "--interval", "0.2"]
    workers = []
    try:
        workers.append(live_server.spawn(["-c", STALLING_WORKER], env, log))
        live_server.wait_for("the half-written backup",
                             lambda: list(out.glob(".run-*/.*.partial")), log, DEADLINE)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=60)
        assert run()[0] == "running"
        workers.append(live_server.spawn(worker, env, log))
        live_server.wait_for("the run's end", lambda: run() and run()[0] in ("done", "failed"),
                             log, DEADLINE)
    finally:
        for process in workers:
            live_server.end_group(process.pid, graceful=10)
    state, attempts, result = run()
    result = json.loads(result) if isinstance(result, str) else result
    assert (state, attempts) == ("done", 1), log.read_text()[-3000:]
    # one whole backup; neither the half-written file nor the plaintext staging copy is left
    assert [path.name for path in out.iterdir()] == [result["file"]]
    assert live_server.fetch(data_dir, None, "SELECT count(*) FROM trials_auditrecord WHERE "
                                             "action = 'scheduled_backup_done'") == [(1,)]
    verify = subprocess.run([sys.executable, "-m", "trialdesk.cli", "backup", "--verify",
                             str(out / result["file"]), "--key-file", str(key)],
                            env=live_server._env(data_dir, None), capture_output=True,
                            text=True, timeout=600, check=False)
    assert verify.returncode == 0, verify.stderr
