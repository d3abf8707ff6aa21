"""Back up, verify and restore: the steps, in the order that keeps a failure harmless.

A backup is written to a hidden ``.partial`` file beside its destination and renamed only once
complete, so a crash never leaves a file that looks like a backup. Verify and restore extract
into a private staging folder and check everything there (hashes, the database's integrity,
the audit chain up to the manifest's head) before a restore moves a single file into place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialdesk.backup import sources
from trialdesk.backup.archive import Member, new_manifest, read_backup, write_backup
from trialdesk.backup.crypto import KeySource
from trialdesk.backup.errors import BackupError, DamagedBackupError

# checks the audit chain of a pg_dump file against the manifest's head; returns a summary line
DumpCheck = Callable[[Path, dict[str, Any] | None], str]
# a progress bar factory: (description, total bytes) -> advance(bytes); close() at the end
ProgressFactory = Callable[[str, int], Any]


def _no_progress(description: str, total: int) -> Any:
    class Silent:
        def __call__(self, count: int) -> None:
            pass

        def close(self) -> None:
            pass

    return Silent()


@contextmanager
def _staging(beside: Path) -> Iterator[Path]:
    """A private (0700) temporary folder in ``beside``'s folder (the same file system, so a
    large database is not copied to /tmp and a restore's final moves are renames)."""
    beside.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        folder = Path(tempfile.mkdtemp(prefix=".trialdesk-backup-", dir=beside))
    except PermissionError:  # a read-only backup volume: the system's temporary folder
        folder = Path(tempfile.mkdtemp(prefix=".trialdesk-backup-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trialdesk")
    except PackageNotFoundError:
        return "unknown"


def make_backup(out: Path, key: KeySource, data_dir: Path, database_url: str | None,
                progress: ProgressFactory = _no_progress) -> dict[str, Any]:
    """Write an encrypted backup of the database and the data directory's files to ``out``
    (which must not exist); return its manifest."""
    if out.exists():
        raise BackupError(f"{out} exists: a backup is never overwritten")
    if not data_dir.is_dir():
        raise BackupError(f"no data directory at {data_dir}")
    database = sources.database_of(data_dir, database_url)
    with _staging(out.parent) as staging:
        copy = staging / Path(database.member).name
        if database.kind == "sqlite":
            bar = progress("copying the database", database.path.stat().st_size
                           if database.path.is_file() else 0)
            done = [0]

            def step(copied_pages: int, total_pages: int) -> None:
                size = database.path.stat().st_size
                now = size * copied_pages // max(total_pages, 1)
                bar(now - done[0])
                done[0] = now

            try:
                sources.sqlite_snapshot(database.path, copy, step)
            finally:
                bar.close()
            head = sources.sqlite_audit_head(copy)
        else:
            # the head is read before the dump begins: the dump holds it and everything older
            head = sources.postgres_audit_head(database.url)
            sources.postgres_dump(database.url, copy)
        # a backup written into the data directory (or its folder there) is not backed up
        excluded = {out.resolve(), staging.resolve()}
        if out.parent.resolve() != data_dir.resolve():
            excluded.add(out.parent.resolve())
        files = list(sources.data_files(data_dir, excluded))
        members = [Member(database.member, copy)] + [Member(f"files/{name}", path)
                                                      for name, path in files]
        secrets = [name for name, _ in files if name in sources.SECRET_FILES]
        manifest = new_manifest(database.kind, head, secrets, _version())
        total = sum(member.path.stat().st_size for member in members)
        partial = out.with_name(f".{out.name}.partial")
        bar = progress("encrypting", total)
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                manifest = write_backup(handle, key, members, manifest, bar)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
    return manifest


@dataclass(frozen=True)
class Checked:
    """A backup decrypted and checked in a staging folder."""

    manifest: dict[str, Any]
    staging: Path
    audit: str  # what the audit chain check said

    @property
    def database_file(self) -> Path:
        database = next(m["name"] for m in self.manifest["members"]
                        if m["name"].startswith("database/"))
        return self.staging / database

    def files(self) -> list[tuple[str, Path]]:
        return [(m["name"][len("files/"):], self.staging / m["name"])
                for m in self.manifest["members"] if m["name"].startswith("files/")]


def _head_text(manifest: dict[str, Any]) -> str | None:
    head = manifest.get("audit_head")
    return f"{head['seq']}:{head['hash']}" if head else None


def _check(path: Path, key: KeySource, staging: Path, progress: ProgressFactory,
           dump_check: DumpCheck | None) -> Checked:
    try:
        size = path.stat().st_size
        raw = path.open("rb")
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    bar = progress("decrypting", size)
    try:
        with raw:
            manifest = read_backup(raw, key, staging, lambda count: bar(count))
    finally:
        bar.close()
    checked = Checked(manifest, staging, "")
    database = checked.database_file
    if manifest["database"] == "sqlite":
        integrity = sources.sqlite_integrity(database)
        if integrity != "ok":
            raise DamagedBackupError(f"the database copy fails PRAGMA integrity_check: {integrity}")
        audit = audit_verify(database.parent, None, _head_text(manifest))
        sources.sqlite_self_contained(database)  # the server opened it in WAL mode
    else:
        sources.run_tool([sources.client_tool("pg_restore"), "--list", str(database)],
                         "pg_restore --list")
        audit = (dump_check(database, manifest.get("audit_head")) if dump_check is not None
                 else "audit trail not checked (no dump reader given)")
    return Checked(manifest, staging, audit)


def verify_backup(path: Path, key: KeySource, progress: ProgressFactory = _no_progress,
                  dump_check: DumpCheck | None = None) -> Checked:
    """Decrypt and check a backup in a temporary folder, which is removed afterwards; nothing
    else is written. Return what was checked (its ``staging`` no longer exists)."""
    with _staging(path.resolve().parent) as staging:
        return _check(path, key, staging, progress, dump_check)


def audit_verify(data_dir: Path, database_url: str | None, head: str | None) -> str:
    """Run ``trialdesk audit verify`` (the server's own check: every record's hash and link,
    the anchors, and ``head`` still in the chain) on a data directory or database; return its
    summary line, or refuse with it."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "TRIALDESK_DATA_DIR", "DJANGO_SETTINGS_MODULE",
                           "TRIALDESK_AUDIT_PUBLISH")}
    if database_url:
        env["DATABASE_URL"] = database_url
    arguments = [sys.executable, "-m", "trialdesk.cli", "audit", "verify", "--data-dir",
                 str(data_dir)]
    if head:
        arguments += ["--expect-head", head]
    result = subprocess.run(arguments, env=env, capture_output=True, text=True,  # noqa: S603
                            check=False, timeout=3600)
    summary = (result.stdout.strip() or result.stderr.strip()).splitlines()
    line = summary[-1] if summary else f"exit status {result.returncode}"
    if result.returncode != 0:
        raise DamagedBackupError(f"the audit trail of the copy does not verify: {line}")
    return line


def restore_backup(path: Path, key: KeySource, data_dir: Path, database_url: str | None,
                   force: bool = False, progress: ProgressFactory = _no_progress,
                   dump_check: DumpCheck | None = None) -> Checked:
    """Restore a backup into ``data_dir`` (and, for a PostgreSQL backup, the empty database at
    ``database_url``); refuse a non-empty target unless ``force``. Everything is checked before
    anything is moved into place."""
    data_dir = data_dir.resolve()
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is not a folder")
    if data_dir.is_dir() and any(data_dir.iterdir()) and not force:
        raise BackupError(f"{data_dir} is not empty: restore into an empty data directory, or "
                          "give --force to replace its database and files (stop the server "
                          "first)")
    with _staging(data_dir.parent) as staging:
        checked = _check(path, key, staging, progress, dump_check)
        kind = checked.manifest["database"]
        if kind == "postgresql":
            if not database_url or not database_url.startswith(("postgres://", "postgresql://")):
                raise BackupError("this backup holds a PostgreSQL database: name the empty "
                                  "target database with --database or DATABASE_URL")
            if sources.postgres_table_count(database_url) and not force:
                raise BackupError("the target database is not empty: restore into an empty "
                                  "database, or give --force to replace its tables")
        elif database_url:
            raise BackupError("this backup holds an SQLite database, restored into the data "
                              "directory: do not give --database (or unset DATABASE_URL)")
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        data_dir.chmod(0o700)
        if kind == "postgresql":
            arguments = [sources.client_tool("pg_restore"), "--no-owner", "--no-privileges",
                         "--exit-on-error", "--single-transaction", f"--dbname={database_url}"]
            if force:
                arguments += ["--clean", "--if-exists"]
            sources.run_tool([*arguments, str(checked.database_file)], "pg_restore")
        else:
            target = data_dir / sources.DATABASE_FILE
            for suffix in ("-wal", "-shm", "-journal"):  # the replaced database's, never ours
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(checked.database_file, target)
            target.chmod(0o600)
        for name, source in checked.files():
            _place(source, data_dir, name)
        audit = audit_verify(data_dir, database_url if kind == "postgresql" else None,
                             _head_text(checked.manifest))
        return Checked(checked.manifest, data_dir, audit)


def _place(source: Path, data_dir: Path, name: str) -> None:
    """Move one extracted file to ``data_dir/name``: the file 0600, its folders 0700."""
    target = data_dir.joinpath(*name.split("/"))
    folder = target.parent
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=0o700)
        created.chmod(0o700)
    os.replace(source, target)
    target.chmod(0o600)
