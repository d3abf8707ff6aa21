"""Acceptance (issue 20): PostgreSQL restarted, or its connections cut, mid-burst.

A server (gunicorn, persistent connections) randomizes from concurrent clients while PostgreSQL
fails under it, again and again: in the first test a second connection ends every backend of the
test's own database (``pg_terminate_backend``, on the machine's shared server, which is never
restarted); in the second a PostgreSQL of the test's own (``initdb`` in a temporary folder, its
own port) is really stopped and started again (``pg_ctl stop -m fast``, down a moment, ``pg_ctl
start``): connections ended by the shutdown, new ones refused while it is down, "the database
system is starting up" while it comes back. Requests that meet the failure answer 503 with
``Retry-After`` and the ``database_unavailable`` error, never a 500; each client sends the same
request with the same idempotency key until it is answered; then: one allocation per
participant, no slot used twice, every block consistent, the answers' kit codes the stored ones,
a further retry of each key answers its first result and allocates nothing, one audit record per
randomization, and ``trialdesk audit verify`` passes.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from live_server import (
    api_session,
    check_allocation_invariants,
    create_database,
    demo_users,
    enroll,
    fetch,
    free_port,
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
DOWN = 1.0  # seconds the restarted server stays stopped, so that requests find it refusing


class Cutter:
    """Ends every backend of the database of ``url`` but its own, each time enough
    randomizations were acknowledged since the last cut; counts the backends it ended."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.name = urlparse(url).path.lstrip("/")
        self.connection = psycopg.connect(url, autocommit=True)
        self.acknowledged = 0
        self.error: BaseException | None = None
        self.terminated = 0
        self.cuts = 0
        self.done = threading.Event()
        self.changed = threading.Condition()

    def acknowledge(self) -> None:
        with self.changed:
            self.acknowledged += 1
            self.changed.notify_all()

    def run(self) -> None:
        try:
            self._cut_repeatedly()
        except BaseException as error:  # the burst's checks report it, not a thread's stderr
            self.error = error

    def _cut_repeatedly(self) -> None:
        next_cut = CUT_EVERY
        while not self.done.is_set():
            with self.changed:
                self.changed.wait_for(lambda due=next_cut: self.acknowledged >= due
                                      or self.done.is_set(), timeout=1)
                if self.acknowledged < next_cut:
                    continue
            self.terminated += self.cut()
            self.cuts += 1
            next_cut = self.acknowledged + CUT_EVERY

    def cut(self) -> int:
        return self.connection.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", [self.name]).fetchone()[0]

    def close(self) -> None:
        self.connection.close()


class Restarter(Cutter):
    """Restarts the private PostgreSQL each time enough randomizations were acknowledged since
    the last restart; counts the backends of the test's database that each shutdown ended."""

    def __init__(self, url: str, server: PrivatePostgres) -> None:
        self.server = server
        super().__init__(url)
        self.connection.close()  # a restart ends it; cut() connects anew each time

    def cut(self) -> int:
        import psycopg

        with psycopg.connect(self.server.url("postgres"), autocommit=True) as connection:
            connected = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                [self.name]).fetchone()[0]
        self.server.ctl("stop", "-m", "fast")
        time.sleep(DOWN)  # not an assertion's wait: the window in which connections are refused
        self.server.ctl("start")
        return connected

    def close(self) -> None:
        pass


class PrivatePostgres:
    """A PostgreSQL server of the test's own: its cluster in a temporary folder, listening on
    127.0.0.1 at a free port (no Unix socket), trusted local connections; started, restarted
    and removed by the test. As root its programs run as the ``postgres`` account (``initdb``
    and ``postgres`` refuse root)."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="trialdesk-private-postgres-"))
        self.data = self.folder / "cluster"
        self.log = self.folder / "server.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")

    def run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bin / program), *args],
                              capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"{program} {' '.join(args)}: {done.stdout}{done.stderr}"

    def ctl(self, action: str, *args: str) -> None:
        self.run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120",
                 *args)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def setup(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       "unix_socket_directories = ''\n")
        self.ctl("start")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "stop", "-D",
                            str(self.data), "-m", "immediate", "-w", "-t", "60"],
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        shutil.rmtree(self.folder, ignore_errors=True)


def _postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs (``initdb``, ``pg_ctl``): on PATH, else
    Debian's ``/usr/lib/postgresql/N/bin``, the newest."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(f.split("/")[-2]))
    for folder in reversed(folders):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    raise AssertionError("PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
                         "the restart test starts a PostgreSQL of its own")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.setup()
        yield server
    finally:
        server.remove()


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
            cutter, unavailable, answers, replays = _burst(server.url, url, tmp_path, Cutter)
        _check(tmp_path, url, cutter, unavailable, answers, replays)


@pytest.mark.postgres
@pytest.mark.slow
def test_postgresql_restarted_mid_burst_answers_503_and_retries_allocate_once(tmp_path):
    with private_postgres() as postgres:
        url = postgres.url("trialdesk")
        create_database(postgres.url("postgres"), url)
        # setup_demo's command without its migrated template: a template on this server would
        # outlive it (its drop at exit would find the server gone); serve migrates it instead
        trialdesk("serve", "--data-dir", str(tmp_path), "--demo", "--demo-participants", "0",
                  "--demo-sites", "active", "--slots-per-stratum", "40", "--setup-only",
                  data_dir=tmp_path, database=url)
        with running(tmp_path, url, workers=2, threads=4, task_workers=0) as server:
            cutter, unavailable, answers, replays = _burst(
                server.url, url, tmp_path, lambda url: Restarter(url, postgres))
        _check(tmp_path, url, cutter, unavailable, answers, replays)
        # the server's own log: each restart a fast shutdown, then ready again
        log = postgres.log.read_text(errors="replace")
        assert log.count("received fast shutdown request") == cutter.cuts
        assert log.count("database system is ready to accept connections") == cutter.cuts + 1


def _burst(server_url: str, url: str, data_dir, make_cutter: Callable[[str], Cutter]) -> tuple:
    users = demo_users(data_dir)
    sessions = {site: api_session(server_url, users[f"investigator-{site}"]) for site in SITES}
    codes = [(SITES[i % len(SITES)], enroll(sessions[SITES[i % len(SITES)]], server_url, i))
             for i in range(PARTICIPANTS)]
    keys = {code: idempotency_key() for _, code in codes}
    cutter = make_cutter(url)
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
        cutting.join(timeout=300)
        cutter.close()
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
    assert cutter.error is None, f"the failures under the burst stopped: {cutter.error!r}"
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
