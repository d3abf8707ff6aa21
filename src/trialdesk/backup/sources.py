"""What a backup copies: a consistent copy of the database, and the data directory's files.

The data directory (``web/datadir.py``) keeps, beside the SQLite database:

- ``secret_key``: the server's Django secret key (sessions, signed links);
- ``allocation-seed``: the secret seed the allocation list was generated from;
- ``randomization.confidential.toml``: the block sizes and secret parameters kept out of the
  published protocol (and possibly the monitoring plan's seed);
- ``sdv-plan-seed``: the seed of the source data verification plan, made on first use;
- ``demo-users.json``: the demo users' credentials, when the demo was set up;
- ``consent-documents/``, ``meddra/``, ``exports/``, ``mail/``: signed consent documents, the
  loaded MedDRA release, generated exports, mail written to files.

Every regular file under the directory is copied except the live database's own files (copied
through the database instead), the write lock and hidden temporary files.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from trialdesk.backup.errors import BackupError

DATABASE_FILE = "trialdesk.sqlite3"
SECRET_FILES = ("secret_key", "allocation-seed", "randomization.confidential.toml",
                "sdv-plan-seed", "demo-users.json")
SKIPPED_NAMES = {DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm",
                 f"{DATABASE_FILE}-journal", "write.lock"}
AUDIT_TABLE = "trials_auditrecord"
HEAD_QUERY = "SELECT seq, hash, at FROM trials_auditrecord ORDER BY seq DESC LIMIT 1"
STEP_PAGES = 4096  # SQLite pages copied per backup step (16 MiB at 4 KiB pages)

Progress = Callable[[int, int], None]  # (done, total)


def data_files(folder: Path, excluded: set[Path] = frozenset()) -> Iterator[tuple[str, Path]]:
    """(path relative to ``folder`` in POSIX form, absolute path) of each file to back up,
    sorted; ``excluded`` are resolved paths (a backup file or folder inside the data
    directory) left out with everything below them."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue  # a temporary file being linked into place (plan_seed.write_seed_once)
        inside = [folder.joinpath(*relative.parts[:depth])
                  for depth in range(1, len(relative.parts) + 1)]
        if any(item.resolve() in excluded for item in inside):
            continue
        if len(relative.parts) == 1 and relative.name in SKIPPED_NAMES:
            continue
        if path.is_symlink() or not path.is_file():
            continue
        yield relative.as_posix(), path


def sqlite_snapshot(source: Path, target: Path, progress: Progress | None = None) -> None:
    """Copy the live SQLite database ``source`` to ``target`` with the online backup API.

    The source connection holds one read transaction through the whole copy: in WAL mode that
    is a fixed snapshot (every transaction committed before it began, none after), and the
    server's writers go on meanwhile. Without it, a step after another process's write would
    restart the copy from the first page, possibly forever under steady writes.
    """
    if not source.is_file():
        raise BackupError(f"no database at {source} (is --data-dir the server's data directory?)")
    connection = sqlite3.connect(source, timeout=30, isolation_level=None)
    copy = sqlite3.connect(target)
    try:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # the snapshot

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        connection.backup(copy, pages=STEP_PAGES, progress=step)
        connection.execute("COMMIT")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy the database {source}: {error}") from None
    finally:
        copy.close()
        connection.close()


def sqlite_audit_head(database: Path) -> dict | None:
    """The newest audit record (seq, hash, at) of an SQLite database, None when it has none."""
    connection = sqlite3.connect(_read_only(database), uri=True)
    try:
        row = connection.execute(HEAD_QUERY).fetchone()
    except sqlite3.OperationalError:
        return None  # no audit table: a database that was never migrated
    finally:
        connection.close()
    return None if row is None else {"seq": row[0], "hash": row[1], "at": str(row[2])}


def sqlite_integrity(database: Path) -> str:
    """``PRAGMA integrity_check`` of a database file: "ok", or SQLite's first problems."""
    try:
        connection = sqlite3.connect(_read_only(database), uri=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return "; ".join(str(row[0]) for row in rows[:5])


def sqlite_self_contained(database: Path) -> None:
    """Fold any write-ahead log into the file and leave it in rollback-journal mode, so that
    the one file can be moved on its own."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def _read_only(database: Path) -> str:
    return database.resolve().as_uri() + "?mode=ro"


# --- PostgreSQL: the client tools -------------------------------------------------------------

CLIENT_TOOLS_HINT = ("install the PostgreSQL client tools of the server's major version (e.g. "
                     "`apt install postgresql-client`) and put them on PATH")


def client_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``/``psql``, or a refusal saying how to get it."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: {CLIENT_TOOLS_HINT}")
    return path


def run_tool(arguments: list[str], what: str) -> str:
    """Run a client tool; return its standard output, or refuse with its error message."""
    try:
        result = subprocess.run(arguments, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as error:
        raise BackupError(f"cannot run {arguments[0]}: {error.strerror}") from None
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        raise BackupError(f"{what} failed: {' / '.join(detail[-3:]) or result.returncode}")
    return result.stdout


def postgres_audit_head(url: str) -> dict | None:
    """The newest audit record of the PostgreSQL database at ``url`` (psql), None if none."""
    output = run_tool([client_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align",
                       "--field-separator", "|", "--dbname", url, "--command",
                       HEAD_QUERY],
                      "reading the audit head")
    line = output.strip()
    if not line:
        return None
    seq, digest, at = line.split("|", 2)
    return {"seq": int(seq), "hash": digest, "at": at}


def postgres_dump(url: str, target: Path) -> None:
    """``pg_dump -Fc`` of the database at ``url`` into ``target`` (one consistent snapshot)."""
    run_tool([client_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}", f"--dbname={url}"], "pg_dump")


def postgres_table_count(url: str) -> int:
    """How many tables the public schema of the database at ``url`` holds."""
    output = run_tool([client_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align",
                       "--dbname", url, "--command",
                       "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
                      "reading the target database")
    return int(output.strip() or 0)


@dataclass(frozen=True)
class Database:
    """The database to copy: an SQLite file, or a PostgreSQL URL."""

    kind: str  # "sqlite" or "postgresql"
    path: Path | None = None
    url: str | None = None

    @property
    def member(self) -> str:
        name = DATABASE_FILE if self.kind == "sqlite" else "trialdesk.pgdump"
        return f"database/{name}"


def database_of(data_dir: Path, url: str | None) -> Database:
    """The database a server with this data directory and ``DATABASE_URL`` uses."""
    if not url:
        return Database("sqlite", path=data_dir / DATABASE_FILE)
    if url.startswith(("postgres://", "postgresql://")):
        return Database("postgresql", url=url)
    if url.startswith("sqlite:///"):
        return Database("sqlite", path=Path(url[len("sqlite:///"):]))  # sqlite:////abs/path
    raise BackupError(f"cannot back up the database {url.split(':', 1)[0]}: only SQLite and "
                      "PostgreSQL are supported")
