"""A task survives the SIGKILL of its worker: another worker runs it again, its finished steps
are read back (an export's files are written again), and it completes once; the task workers
``trialdesk serve`` starts end with the server, even a killed one (issues 20, 21).

Real processes: ``trialdesk worker`` twice on one SQLite data directory, the first killed with
SIGKILL in the middle of a simulation job. Every process runs in its own process group,
registered with ``live_server`` so that the session's leak check covers it, and is ended in a
``finally`` whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import live_server
import pytest

from trialdesk.stats.design.simulate import simulate
from trialdesk.stats.design.spec import EXAMPLES, load_spec

SIMS, CHUNK, SEED = 60_000, 2_000, 40
CHUNKS = 3 * SIMS // CHUNK  # the SPEC's 3 scenarios
DEADLINE = 240.0  # seconds: generous, for a loaded 2-core machine
LEASE = "1.5"  # seconds without a heartbeat before a worker's task is run again

MIGRATE = """
import sys
from trialdesk.web.bootstrap import migrate, setup_django
setup_django(data_dir=sys.argv[1])
migrate()
"""
SETUP = f"""
import sys
from trialdesk.web.bootstrap import setup_django
setup_django(data_dir=sys.argv[1])
from django.contrib.auth import get_user_model
from trialdesk.stats.design.spec import EXAMPLES
from trialdesk.web.design.jobs import run_simulation
from trialdesk.web.design.models import SimulationJob
owner = get_user_model().objects.create(username="analyst")
job = SimulationJob.objects.create(
    owner=owner, name="killed", spec_toml=(EXAMPLES / "default_trial.toml").read_text(),
    sims={SIMS}, seed={SEED}, chunk={CHUNK}, chunks_total={CHUNKS})
run_simulation.enqueue(str(job.pk))
print(job.pk)
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data directory with every migration applied (once per module: it takes seconds)."""
    data_dir = tmp_path_factory.mktemp("migrated") / "data"
    subprocess.run([sys.executable, "-c", MIGRATE, str(data_dir)], capture_output=True,
                   text=True, timeout=300, env=live_server._env(data_dir, None), check=True)
    return data_dir


def _fresh(migrated: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(migrated, data_dir)
    return data_dir


def _start_worker(data_dir: Path, log: Path, script: str | None = None) -> subprocess.Popen:
    """``trialdesk worker``, or ``script`` (Python run with the data directory as argument)."""
    env = live_server._env(data_dir, None)
    env["TRIALDESK_WORKER_LEASE_SECONDS"] = LEASE
    command = ["-c", script, str(data_dir)] if script else [
        "-m", "trialdesk.cli", "worker", "--data-dir", str(data_dir), "--interval", "0.2"]
    return live_server.spawn(command, env, log)


def _query(database: Path, sql: str, *args: object) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        return db.execute(sql, args).fetchall()


def _wait_for(what: str, check: Callable[[], Any], log: Path) -> Any:
    return live_server.wait_for(what, check, log, DEADLINE)


@pytest.mark.slow
def test_a_task_whose_worker_is_killed_is_run_again_and_completes_once(migrated, tmp_path):
    data_dir, log = _fresh(migrated, tmp_path), tmp_path / "workers.log"
    setup = subprocess.run([sys.executable, "-c", SETUP, str(data_dir)], capture_output=True,
                           text=True, timeout=300, env=live_server._env(data_dir, None),
                           check=True)
    job_id = setup.stdout.split()[-1]
    database = data_dir / "trialdesk.sqlite3"
    job_key = job_id.replace("-", "")  # Django stores a UUID as 32 hex digits on SQLite

    def job() -> tuple[str, int]:
        return _query(database, "SELECT state, chunks_done FROM design_simulationjob "
                                "WHERE id = ?", job_key)[0]

    def task() -> tuple[str, list[str]]:
        status, workers = _query(database, "SELECT status, worker_ids FROM "
                                           "django_tasks_database_dbtaskresult")[0]
        return status, json.loads(workers)

    workers = []
    try:
        workers.append(_start_worker(data_dir, log))
        _wait_for("the first worker's progress", lambda: job()[1] >= 3, log)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=60)
        state, done = job()
        assert state == "running" and done < CHUNKS, "the job ended before the kill: too short"
        status, [first] = task()
        assert status == "RUNNING"  # claimed by a worker that no longer exists
        kept = _query(database, "SELECT count(*), min(worker_id) FROM worker_taskstep")[0]
        assert kept[0] >= 3 and kept[1] == first  # its finished chunks are kept

        workers.append(_start_worker(data_dir, log))
        _wait_for("the job's end", lambda: job()[0] in ("done", "failed"), log)
        _wait_for("the task's end", lambda: task()[0] in ("SUCCESSFUL", "FAILED"), log)
    finally:
        for process in workers:
            live_server.end_group(process.pid, graceful=10)
    assert not any(live_server.group_alive(process.pid) for process in workers)

    assert job() == ("done", CHUNKS)
    status, worker_ids = task()
    assert status == "SUCCESSFUL" and len(worker_ids) == 2 and worker_ids[0] == first
    finished = _query(database, "SELECT changes FROM trials_auditrecord WHERE "
                                "action = 'finish_simulation' AND object_id = ?", job_id)
    assert len(finished) == 1  # ended once
    assert _query(database, "SELECT count(*) FROM worker_taskstep") == [(0,)]  # forgotten
    [[result]] = _query(database, "SELECT result FROM design_simulationjob WHERE id = ?",
                        job_key)
    # the chunks read back and the chunks computed after the kill add up to the core's numbers
    core = simulate(load_spec(EXAMPLES / "default_trial.toml"), SIMS, seed=SEED, chunk=CHUNK,
                    progress=False)
    assert [row["rejection_probability"] for row in json.loads(result)["scenarios"]] == [
        r.rejection_probability for r in core]


EXPORT_SETUP = """
import sys
from trialdesk.web.bootstrap import setup_django
setup_django(data_dir=sys.argv[1])
from trialdesk.web.exports.actions import do_start_export_from_command_line
print(do_start_export_from_command_line(format_name="sdtm", allocation="none").pk)
"""
# a real worker whose export stalls once it has written a dataset, so that it is killed mid-run
STALLING_WORKER = """
import sys, time
from trialdesk.web.bootstrap import setup_django
setup_django(data_dir=sys.argv[1])
from trialdesk.web.exports import jobs
from trialdesk.web.worker.runner import run_worker
progress = jobs._progress

def stalling(job_id, also):
    report = progress(job_id, also)
    def tick(done, total):
        report(done, total)
        if done:
            time.sleep(600)
    return tick

jobs._progress = stalling
run_worker(interval=0.2)
"""


@pytest.mark.slow
def test_a_killed_workers_export_is_finished_by_another_worker_once(migrated, tmp_path):
    """Issue 21: export jobs are tasks too; the run again rewrites the files and ends once."""
    data_dir, log = _fresh(migrated, tmp_path), tmp_path / "workers.log"
    setup = subprocess.run([sys.executable, "-c", EXPORT_SETUP, str(data_dir)], check=True,
                           capture_output=True, text=True, timeout=300,
                           env=live_server._env(data_dir, None))
    job_id = setup.stdout.split()[-1]
    database = data_dir / "trialdesk.sqlite3"

    def job() -> tuple[str, int, int]:
        return _query(database, "SELECT state, done, total FROM exports_exportjob WHERE id = ?",
                      job_id.replace("-", ""))[0]

    workers = []
    try:
        workers.append(_start_worker(data_dir, log, STALLING_WORKER))
        _wait_for("the first worker's first dataset", lambda: job()[1] >= 1, log)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=60)
        assert job()[0] == "running"
        workers.append(_start_worker(data_dir, log))
        _wait_for("the job's end", lambda: job()[0] in ("done", "failed"), log)
        _wait_for("the task's end", lambda: _query(
            database, "SELECT status FROM django_tasks_database_dbtaskresult")[0][0] in (
            "SUCCESSFUL", "FAILED"), log)
    finally:
        for process in workers:
            live_server.end_group(process.pid, graceful=10)
    state, done, total = job()
    assert (state, done) == ("done", total) and total > 1
    [(status, worker_ids)] = _query(database, "SELECT status, worker_ids FROM "
                                              "django_tasks_database_dbtaskresult")
    assert status == "SUCCESSFUL" and len(json.loads(worker_ids)) == 2
    assert _query(database, "SELECT count(*) FROM trials_auditrecord WHERE "
                            "action = 'finish_export' AND object_id = ?", job_id) == [(1,)]
    [[files]] = _query(database, "SELECT files FROM exports_exportjob")
    with zipfile.ZipFile(data_dir / "exports" / f"{job_id}.zip") as bundle:
        assert sorted(bundle.namelist()) == json.loads(files)


# gunicorn's master runs these hooks (``trialdesk serve`` names the module as its config)
SERVER = """
import sys, time
from trialdesk.web.worker import serve_hooks
serve_hooks.on_starting(None)
print(serve_hooks._workers[0].pid, flush=True)
if sys.stdin.readline().strip() == "stop":
    serve_hooks.on_exit(None)
    print("stopped", flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_the_servers_task_worker_ends_with_the_server(migrated, tmp_path, how):
    data_dir, log = _fresh(migrated, tmp_path), tmp_path / "server.log"
    database = data_dir / "trialdesk.sqlite3"
    env = {**live_server._env(data_dir, None), "TRIALDESK_TASK_WORKERS": "1"}
    server = live_server.spawn(["-c", SERVER], env, log, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    worker = None
    try:
        worker = int(server.stdout.readline())
        _wait_for("the task worker's heartbeat", lambda: _query(
            database, "SELECT pid FROM worker_workerbeat") == [(worker,)], log)
        if how == "stopped":
            server.stdin.write("stop\n")
            server.stdin.flush()
            assert server.stdout.readline().strip() == "stopped"
            assert not _alive(worker)
            # it stopped as asked (SIGTERM), so it said goodbye: no heartbeat row is left
            assert _query(database, "SELECT count(*) FROM worker_workerbeat") == [(0,)]
        else:
            server.send_signal(signal.SIGKILL)  # no hook runs: the kernel tells the worker
            server.wait(timeout=60)
            _wait_for("the orphaned worker's end", lambda: not _alive(worker), log)
    finally:
        live_server.end_group(server.pid)
        if worker is not None and _alive(worker):
            os.kill(worker, signal.SIGKILL)
            pytest.fail("the task worker outlived its server")
