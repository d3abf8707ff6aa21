"""A real trial server (``trialdesk serve`` -> gunicorn) on loopback, for tests and benchmarks."""

from __future__ import annotations

import atexit
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import requests

# tests/helpers/ is on sys.path: tests/conftest.py puts it there, benchmarks (bench/) too
from eligible import ELIGIBLE_VALUES as ELIGIBLE
from enrollment import CONSENT
from migrated_template import start_migrated

HELPERS = Path(__file__).resolve().parent.parent / "helpers"  # live_server_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: Path, database: str | None, protocol: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TRIALDESK_DATA_DIR",
                        "TRIALDESK_PROTOCOL")}
    if protocol:
        env["TRIALDESK_PROTOCOL"] = str(protocol)
    env["DJANGO_SETTINGS_MODULE"] = "live_server_settings"  # the real ones, a fast hasher
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HELPERS), env.get("PYTHONPATH")]))
    env["TRIALDESK_DATA_DIR"] = str(data_dir)
    env["TRIALDESK_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if database:
        env["DATABASE_URL"] = database
    return env


def trialdesk(*args: str, data_dir: Path, database: str | None = None,
              check: bool = True, protocol: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``trialdesk`` command line in a subprocess. A command that migrates finds a new
    database already migrated (a copy of this process's template, ``migrated_template``)."""
    if args[:1] in (("users",), ("sites",), ("safety",)) or args[:2] == ("protocol", "amend"):
        start_migrated(data_dir, database)
    return subprocess.run([sys.executable, "-m", "trialdesk.cli", *args],
                          env=_env(data_dir, database, protocol), capture_output=True, text=True,
                          check=check, timeout=300)


def setup_demo(data_dir: Path, database: str | None = None, slots_per_stratum: int = 60,
               protocol: Path | None = None, sites: str = "active") -> None:
    """Migrate and create the demo users and allocation list (no participants), with the sites
    activated (``sites="planned"``: left planned). A new database starts as a copy of this
    process's migrated template (``migrated_template``)."""
    start_migrated(data_dir, database)
    trialdesk("serve", "--data-dir", str(data_dir), "--demo", "--demo-participants", "0",
              "--demo-sites", sites, "--slots-per-stratum", str(slots_per_stratum),
              "--setup-only", data_dir=data_dir, database=database, protocol=protocol)


# --- the server process group -----------------------------------------------------------------
#
# Every server runs in its own session (so its own process group: the gunicorn master, which
# ``trialdesk serve`` exec's into, and its workers). A group is always ended as a whole: when its
# start fails or is interrupted, by ``stop()``/``kill()``, by the ``atexit`` handler, on SIGTERM,
# and by the test session's leak check (tests/conftest.py), which fails the run if one is left.
# Benchmarks (bench/) import this same module (they put tests/web on sys.path).

START_TIMEOUT_VARIABLE = "TRIALDESK_TEST_SERVER_START_TIMEOUT"
DEFAULT_START_TIMEOUT = 180.0  # seconds; a loaded 2-core machine needs well over a minute
PROBE_TIMEOUT = 15.0  # one readiness request; a slow answer is retried, not fatal

# pgid -> the master process, for every group started here that is not yet known to be gone
GROUPS: dict[int, subprocess.Popen] = {}
STARTED_PGIDS: list[int] = []  # every group ever started here, in order
_groups_lock = threading.RLock()  # re-entrant: the SIGTERM handler may run while it is held


def default_start_timeout() -> float:
    """The readiness deadline: ``$TRIALDESK_TEST_SERVER_START_TIMEOUT`` seconds, else 180."""
    value = os.environ.get(START_TIMEOUT_VARIABLE)
    return float(value) if value else DEFAULT_START_TIMEOUT


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass  # exists, but not ours to signal: look at /proc all the same
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        state, _ppid, pgrp = stat[stat.rindex(")") + 2:].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    """True while a process of group ``pgid`` runs (zombies, awaiting their reaper, do not)."""
    process = GROUPS.get(pgid)
    if process is not None:
        process.poll()  # reap our own child: a zombie master still answers killpg(pgid, 0)
    return bool(group_members(pgid))


def end_group(pgid: int, *, graceful: float = 0.0, timeout: float = 60.0) -> None:
    """End process group ``pgid``: SIGTERM and up to ``graceful`` seconds to exit (when
    ``graceful`` > 0), then SIGKILL; reap the master; SIGKILL again for workers the master left
    behind; wait until no process of the group runs. Raise if one still does after ``timeout``."""
    process = GROUPS.get(pgid)
    if graceful > 0 and process is not None and process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=graceful)
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    if process is not None:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        # the master is gone; its workers (now orphans) keep the group's id until they die
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        if not group_alive(pgid):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"process group {pgid} still runs {timeout:.0f} s after SIGKILL: "
                               f"{group_members(pgid)}")
        time.sleep(0.05)
    with _groups_lock:
        GROUPS.pop(pgid, None)


def spawn(args: list[str], env: dict[str, str], log: Path, *, stdin: int = subprocess.DEVNULL,
          stdout: int | None = None) -> subprocess.Popen:
    """``python <args>`` (a worker, a poller, a stand-in server) in its own process group,
    registered like a server's for ``end_group`` and the session's leak check. Its stderr goes to
    ``log``, and so does its stdout unless ``stdout`` (e.g. ``subprocess.PIPE``, read as text)."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *args], env=env, stdin=stdin,
            stdout=out if stdout is None else stdout,
            stderr=subprocess.STDOUT if stdout is None else out, text=True,
            start_new_session=True)  # a session leader's pgid is its pid
    with _groups_lock:
        GROUPS[process.pid] = process
    return process


def wait_for(what: str, check: Callable[[], Any], log: Path, timeout: float) -> Any:
    """Poll ``check`` until it returns something true, and return that; after ``timeout``
    seconds fail with ``what`` and the end of ``log`` (the processes' own account)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout:.0f} s; {log.name} ends:\n"
                         f"{log.read_text(errors='replace')[-4000:]}")


def live_groups() -> list[int]:
    """The groups started here of which a process still runs."""
    with _groups_lock:
        pgids = list(GROUPS)
    alive = [pgid for pgid in pgids if group_alive(pgid)]
    with _groups_lock:
        for pgid in set(pgids) - set(alive):
            GROUPS.pop(pgid, None)
    return alive


def kill_all() -> list[int]:
    """SIGKILL every group started here that still runs; return their process group ids."""
    alive = live_groups()
    for pgid in alive:
        with suppress(RuntimeError):
            end_group(pgid)
    return alive


@atexit.register
def _kill_all_at_exit() -> None:
    left = kill_all()
    if left:
        print(f"live_server: killed server process groups left running at exit: {left}",
              file=sys.stderr)


def _kill_all_on_sigterm(signum: int, frame: Any) -> None:
    # SIGTERM's default action skips atexit: end our servers, then die of SIGTERM all the same
    kill_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _handle_sigterm() -> None:
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
        signal.signal(signal.SIGTERM, _kill_all_on_sigterm)


def _tail(path: Path, offset: int, limit: int = 4000) -> str:
    with suppress(OSError), path.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")[-limit:]
    return ""


class Server:
    """One ``trialdesk serve`` process group (gunicorn master and workers) on loopback.

    ``task_workers=0`` where the test queues no task (e-mail, export, simulation): each task
    worker is one more Django process to start on every server start.

    The constructor returns once the login page answers 200 (``start_timeout`` seconds at most,
    default ``default_start_timeout()``); if the server exits, misses the deadline or the start is
    interrupted, the whole group is killed before the error propagates.
    """

    def __init__(self, data_dir: Path, database: str | None = None, workers: int = 4,
                 threads: int = 4, protocol: Path | None = None,
                 start_timeout: float | None = None, task_workers: int = 1) -> None:
        self.data_dir = data_dir
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.log = self.log_path.open("a")
        self._log_start = self.log.tell()
        _handle_sigterm()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "trialdesk.cli", "serve", "--data-dir", str(data_dir),
                 "--port", str(self.port), "--workers", str(workers), "--threads", str(threads),
                 "--task-workers", str(task_workers)],
                env=_env(data_dir, database, protocol), stdout=self.log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, ended as a whole
            )
        except BaseException:
            self.log.close()
            raise
        self.pgid = self.process.pid  # a session leader's pgid is its pid
        with _groups_lock:
            GROUPS[self.pgid] = self.process
            STARTED_PGIDS.append(self.pgid)
        try:
            self._wait_ready(default_start_timeout() if start_timeout is None else start_timeout)
        except BaseException:
            self.kill()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        failure = "no answer yet"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with status {self.process.returncode} while starting; "
                    f"{self.log_path} ends:\n{self.log_tail()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(
                    f"server did not answer within {timeout:.0f} s (last: {failure}; "
                    f"${START_TIMEOUT_VARIABLE} sets the deadline); {self.log_path} ends:\n"
                    f"{self.log_tail()}")
            try:
                response = requests.get(self.url + "/accounts/login/",
                                        timeout=min(PROBE_TIMEOUT, max(remaining, 0.5)))
                if response.status_code == 200:
                    return
                failure = f"HTTP {response.status_code}"
            except Exception as error:
                failure = f"{type(error).__name__}: {error}"
            time.sleep(0.2)

    def log_tail(self) -> str:
        """What this server wrote to its log (the end of it)."""
        self.log.flush()
        return _tail(self.log_path, self._log_start)

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn master and workers): a crash."""
        try:
            end_group(self.pgid)
        finally:
            self.log.close()

    def stop(self) -> None:
        """SIGTERM the group (a graceful shutdown), then SIGKILL whatever is left of it."""
        try:
            end_group(self.pgid, graceful=30)
        finally:
            self.log.close()


@contextmanager
def running(data_dir: Path, database: str | None = None, **kwargs: Any):
    server = Server(data_dir, database, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def demo_users(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {u["username"]: u for u in json.loads((data_dir / "demo-users.json").read_text())}


def token(server_url: str, user: dict[str, Any]) -> str:
    response = requests.post(server_url + "/api/v1/auth/token", timeout=30,
                             json={"username": user["username"], "password": user["password"]})
    response.raise_for_status()
    return response.json()["token"]


def api_session(server_url: str, user: dict[str, Any]) -> requests.Session:
    """An API client session: ``user``'s bearer token (``token``) on every request. Extra headers
    a test needs go on the returned session's ``headers``."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token(server_url, user)}"
    return session


def page_session(server_url: str, user: dict[str, Any], *,
                 timeout: float = 60) -> requests.Session:
    """A browser-like session signed in through the login page (session cookie and CSRF)."""
    session = requests.Session()
    login = session.get(f"{server_url}/accounts/login/", timeout=timeout)
    answer = session.post(f"{server_url}/accounts/login/", timeout=timeout, allow_redirects=False,
                          data={"username": user["username"], "password": user["password"],
                                "csrfmiddlewaretoken": csrf_token(login.text)})
    assert answer.status_code == 302, answer.text
    return session


def page_post(session: requests.Session, page_url: str, data: dict[str, Any], *,
              timeout: float = 60) -> requests.Response:
    """Submit a page's form as a browser does: GET ``page_url`` (it must answer 200), then POST
    ``data`` back to it with the page's CSRF token; redirects are not followed."""
    page = session.get(page_url, timeout=timeout)
    assert page.status_code == 200, page.text
    return session.post(page_url, data={**data, "csrfmiddlewaretoken": csrf_token(page.text)},
                        timeout=timeout, allow_redirects=False)


def csrf_token(page: str) -> str:
    """The CSRF token of a page's form."""
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def enroll(session: requests.Session, server_url: str, index: int) -> str:
    """Screen and consent one eligible patient (severity alternates); return the code."""
    values = {**ELIGIBLE, "pao2": 70 if index % 2 else 150}
    response = session.post(server_url + "/api/v1/participants", json={"values": values},
                            timeout=60)
    response.raise_for_status()
    code = response.json()["code"]
    response = session.post(f"{server_url}/api/v1/participants/{code}/consent", timeout=60,
                            json=CONSENT)
    response.raise_for_status()
    return code


def randomized(session: requests.Session, server_url: str, index: int, *,
               timeout: float = 60) -> str:
    """Enroll one eligible patient (``enroll``) and randomize them; return the code. A refused
    randomization raises (``raise_for_status``)."""
    code = enroll(session, server_url, index)
    session.post(f"{server_url}/api/v1/participants/{code}/randomize", json={},
                 timeout=timeout).raise_for_status()
    return code


def idempotency_key() -> str:
    return uuid.uuid4().hex


def randomization_burst(
    server_url: str, users: dict[str, dict[str, Any]], *, sites: tuple[str, ...], count: int,
    clients: int,
) -> list[tuple[str, int, dict]]:
    """Enroll ``count`` patients spread over ``sites``, then randomize them all from ``clients``
    concurrent HTTP clients (each thread keeps one session per site's investigator).

    Return (participant code, HTTP status, JSON body) per randomization.
    """
    tokens = {site: token(server_url, users[f"investigator-{site}"]) for site in sites}
    local = threading.local()

    def session(site: str) -> requests.Session:
        sessions = getattr(local, "sessions", None) or {}
        local.sessions = sessions
        if site not in sessions:
            sessions[site] = requests.Session()
            sessions[site].headers["Authorization"] = f"Bearer {tokens[site]}"
        return sessions[site]

    def prepare(index: int) -> tuple[str, str]:
        site = sites[index % len(sites)]
        return site, enroll(session(site), server_url, index)

    with ThreadPoolExecutor(clients) as pool:
        enrolled = list(pool.map(prepare, range(count)))

    def randomize(item: tuple[str, str]) -> tuple[str, int, dict]:
        site, code = item
        response = session(site).post(
            f"{server_url}/api/v1/participants/{code}/randomize", timeout=60,
            json={"idempotency_key": idempotency_key()})
        return code, response.status_code, response.json()

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(randomize, enrolled))


# --- reading the server's database directly (not through Django: it is another process) ------

def connect(data_dir: Path, database: str | None):
    if database:
        import psycopg

        return psycopg.connect(database)
    return sqlite3.connect(data_dir / "trialdesk.sqlite3")


def fetch(data_dir: Path, database: str | None, sql: str) -> list[tuple]:
    connection = connect(data_dir, database)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        connection.close()


def check_allocation_invariants(data_dir: Path, database: str | None) -> dict[str, int]:
    """Assert: no slot used twice, no participant twice, used slots are a prefix of each stratum's
    list, each full block is balanced 1:1. Return counts."""
    randomizations = fetch(data_dir, database,
                           "SELECT participant_id, slot_id FROM trials_randomization")
    participants = [r[0] for r in randomizations]
    slots = [r[1] for r in randomizations]
    assert len(set(participants)) == len(participants), "a participant was randomized twice"
    assert len(set(slots)) == len(slots), "a slot was used twice"
    rows = fetch(data_dir, database, """
        SELECT s.stratum, s.sequence, s.arm, s.block, s.used, r.id
        FROM trials_allocationslot s LEFT JOIN trials_randomization r ON r.slot_id = s.id
        ORDER BY s.stratum, s.sequence""")
    by_stratum: dict[str, list[tuple]] = {}
    for row in rows:
        by_stratum.setdefault(row[0], []).append(row)
    for stratum, slots_of in by_stratum.items():
        used_flags = [bool(r[4]) for r in slots_of]
        assert all(bool(r[4]) == (r[5] is not None) for r in slots_of), stratum
        count = sum(used_flags)
        assert used_flags == [True] * count + [False] * (len(used_flags) - count), (
            f"{stratum}: used slots are not a prefix of the list")
        blocks: dict[int, list[tuple]] = {}
        for row in slots_of:
            blocks.setdefault(row[3], []).append(row)
        for block, members in blocks.items():
            if all(r[4] for r in members):
                arms = [r[2] for r in members]
                assert arms.count("msc") == arms.count("standard"), (stratum, block, arms)
    cursor_rows = fetch(data_dir, database, "SELECT stratum, allocated FROM trials_stratumcursor")
    for stratum, allocated in cursor_rows:
        assert allocated == sum(1 for r in by_stratum.get(stratum, []) if r[4]), stratum
    return {"randomized": len(randomizations), "strata": len(by_stratum)}


def postgres_database(server_url: str) -> tuple[str, str]:
    """Return (admin URL, URL of a fresh database name) on the server of ``server_url``."""
    name = f"trialdesk_test_{uuid.uuid4().hex[:12]}"
    parts = urlparse(server_url)
    return server_url, urlunparse(parts._replace(path="/" + name))


def create_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def fresh_postgres_database(server_url: str):
    """Create a database of its own on the PostgreSQL server of ``server_url``; yield its URL and
    drop it afterwards, whatever happens."""
    admin_url, url = postgres_database(server_url)
    create_database(admin_url, url)
    try:
        yield url
    finally:
        drop_database(admin_url, url)


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
