"""Start a test server's database from a migrated copy instead of migrating it again.

Applying the migrations is the largest part of setting up a live server (about 7 s of CPU on
SQLite and longer on PostgreSQL, where every step is DDL the server must make durable), and the
suite sets up dozens. Each test process migrates once, into a template of its own, and every new
database starts as a copy of it: the SQLite file copied, a PostgreSQL database created
``TEMPLATE`` it. ``trialdesk serve --setup-only`` then finds nothing to migrate and goes on as
before (sites, users, allocation list), so what the tests exercise is unchanged.

A template belongs to one process (its pid is in its name) and is removed when the process ends:
no other run, worktree or checkout with other migrations ever reads it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse, urlunparse

SQLITE_NAME = "trialdesk.sqlite3"  # trialdesk.web.settings: the file in the data directory
_MIGRATE = ("from trialdesk.web.bootstrap import migrate, setup_django; "
            "setup_django(); migrate()")

_lock = threading.Lock()
_sqlite_template: Path | None = None
_postgres_templates: dict[str, str] = {}  # server URL -> template database name


def _migrate(data_dir: Path, database: str | None) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TRIALDESK_PROTOCOL")}
    env["TRIALDESK_DATA_DIR"] = str(data_dir)
    if database:
        env["DATABASE_URL"] = database
    subprocess.run([sys.executable, "-c", _MIGRATE], env=env, check=True, timeout=900,
                   capture_output=True, text=True)


def _with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _maintenance_url(url: str) -> str:
    """A database to connect to while creating or dropping others (never the template)."""
    admin = os.environ.get("TRIALDESK_TEST_POSTGRES_URL")
    if admin and urlparse(admin).netloc == urlparse(url).netloc:
        return admin
    return _with_database(url, "postgres")


def sqlite_template() -> Path:
    """This process's migrated SQLite file (made on first use)."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            folder = Path(tempfile.mkdtemp(prefix=f"trialdesk-migrated-{os.getpid()}-"))
            atexit.register(shutil.rmtree, folder, True)
            _migrate(folder, None)
            # the migrating process closed its connection: the write-ahead log is checkpointed
            # into the file and removed, so the file alone is the whole database
            if (folder / (SQLITE_NAME + "-wal")).exists():
                raise RuntimeError(f"{folder}: the migrated database left a write-ahead log")
            _sqlite_template = folder / SQLITE_NAME
        return _sqlite_template


def postgres_template(url: str) -> str:
    """This process's migrated template database on the server of ``url`` (made on first use)."""
    import psycopg

    server = urlparse(url).netloc
    with _lock:
        if server not in _postgres_templates:
            name = f"trialdesk_template_{os.getpid()}"
            maintenance = _maintenance_url(url)
            with psycopg.connect(maintenance, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')  # a dead pid's leftover
                connection.execute(f'CREATE DATABASE "{name}"')
            atexit.register(_drop, maintenance, name)
            with tempfile.TemporaryDirectory(prefix="trialdesk-migrating-") as folder:
                _migrate(Path(folder), _with_database(url, name))
            _postgres_templates[server] = name
        return _postgres_templates[server]


def _drop(maintenance_url: str, name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(maintenance_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as error:  # at exit: say so, a leftover database is not a failure
        print(f"migrated_template: could not drop {name}: {error}", file=sys.stderr)


def _postgres_is_empty(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    return row is not None and row[0] == 0


def start_migrated(data_dir: Path, database: str | None) -> None:
    """Make the database of ``data_dir`` (SQLite) or ``database`` (PostgreSQL) a migrated copy,
    if it is new: an existing SQLite file or a PostgreSQL database with tables is left alone."""
    if database is None:
        target = data_dir / SQLITE_NAME
        if not target.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sqlite_template(), target)
        return
    if not database.startswith(("postgres://", "postgresql://")):
        return
    if not _postgres_is_empty(database):
        return
    import psycopg

    template = postgres_template(database)
    name = urlparse(database).path.lstrip("/")
    with psycopg.connect(_maintenance_url(database), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}"')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
