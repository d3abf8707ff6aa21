"""A real trial server (``trialdesk serve`` -> gunicorn) on loopback, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import requests

ELIGIBLE = {
    "age": 54, "sars_cov2_pcr": "positive", "onset_within_week": True,
    "bilateral_opacities": True, "cardiac_failure_explains": False, "pregnant": False,
    "active_malignancy": False, "expected_death_24h": False, "other_interventional_trial": False,
    "pao2": 70, "fio2": 0.8, "peep": 10,
}


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
    env["TRIALDESK_DATA_DIR"] = str(data_dir)
    env["TRIALDESK_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if database:
        env["DATABASE_URL"] = database
    return env


def trialdesk(*args: str, data_dir: Path, database: str | None = None,
              check: bool = True, protocol: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``trialdesk`` command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "trialdesk.cli", *args],
                          env=_env(data_dir, database, protocol), capture_output=True, text=True,
                          check=check, timeout=300)


def setup_demo(data_dir: Path, database: str | None = None, slots_per_stratum: int = 60,
               protocol: Path | None = None) -> None:
    """Migrate and create the demo users and allocation list (no participants)."""
    trialdesk("serve", "--data-dir", str(data_dir), "--demo", "--demo-participants", "0",
              "--slots-per-stratum", str(slots_per_stratum), "--setup-only",
              data_dir=data_dir, database=database, protocol=protocol)


class Server:
    """One ``trialdesk serve`` process group; ``kill()`` sends SIGKILL to all of it."""

    def __init__(self, data_dir: Path, database: str | None = None, workers: int = 4,
                 threads: int = 4, protocol: Path | None = None) -> None:
        self.data_dir = data_dir
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (data_dir / "server.log").open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trialdesk.cli", "serve", "--data-dir", str(data_dir),
             "--port", str(self.port), "--workers", str(workers), "--threads", str(threads)],
            env=_env(data_dir, database, protocol), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: see {self.data_dir / 'server.log'}")
            try:
                if requests.get(self.url + "/accounts/login/", timeout=10).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn master and workers): a crash."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
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


def enroll(session: requests.Session, server_url: str, index: int) -> str:
    """Screen and consent one eligible patient (severity alternates); return the code."""
    values = {**ELIGIBLE, "pao2": 70 if index % 2 else 150}
    response = session.post(server_url + "/api/v1/participants", json={"values": values},
                            timeout=60)
    response.raise_for_status()
    code = response.json()["code"]
    response = session.post(f"{server_url}/api/v1/participants/{code}/consent", timeout=60,
                            json={"consent_date": "2026-01-05", "form_version": "1.0"})
    response.raise_for_status()
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


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
