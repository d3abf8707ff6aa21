"""What a backup copies (``trialdesk.backup.sources`` through ``operations.make_backup``), on a
plain SQLite file: a consistent snapshot while another connection keeps writing, the data
directory's files without the live database's own files, locks and temporaries, and the
progress reported in bytes."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from trialdesk.backup import sources
from trialdesk.backup.archive import read_backup
from trialdesk.backup.crypto import KeySource
from trialdesk.backup.operations import make_backup

KEY = KeySource(key=os.urandom(32), described="the test key")


def _database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript("""
        CREATE TABLE trials_randomization (id INTEGER PRIMARY KEY, payload BLOB);
        CREATE TABLE trials_auditrecord (seq INTEGER PRIMARY KEY, hash TEXT, at TEXT);
    """)
    with connection:
        for seq in range(1, 201):
            _randomize(connection, seq)
    connection.close()


def _randomize(connection: sqlite3.Connection, seq: int) -> None:
    """One write as the server makes it: the row and its audit record in one transaction."""
    connection.execute("INSERT INTO trials_randomization (payload) VALUES (?)",
                       (os.urandom(2000),))
    connection.execute("INSERT INTO trials_auditrecord VALUES (?, ?, ?)",
                       (seq, f"{seq:064x}", "2026-12-03 10:00:00"))


class Recorder:
    def __init__(self) -> None:
        self.bars: list[list] = []

    def __call__(self, description: str, total: int):
        bar = [description, total, 0, False]
        self.bars.append(bar)

        class Advance:
            def __call__(self, count: int) -> None:
                bar[2] += count

            def close(self) -> None:
                bar[3] = True

        return Advance()


def test_a_snapshot_taken_during_writes_is_consistent(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "STEP_PAGES", 2)  # many steps, with writes between them
    data = tmp_path / "data"
    data.mkdir()
    _database(data / sources.DATABASE_FILE)
    stop = threading.Event()
    committed = [200]

    def writer() -> None:
        connection = sqlite3.connect(data / sources.DATABASE_FILE, timeout=30)
        while not stop.is_set():
            with connection:
                _randomize(connection, committed[0] + 1)
            committed[0] += 1
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while committed[0] < 260:
            time.sleep(0.001)
        before = committed[0]
        out = tmp_path / "backup.tdbackup"
        progress = Recorder()
        manifest = make_backup(out, KEY, data, None, progress)
    finally:
        stop.set()
        thread.join()
    assert committed[0] > before  # the writer went on during the backup
    staging = tmp_path / "staging"
    staging.mkdir()
    with out.open("rb") as raw:
        read_backup(raw, KEY, staging)
    copy = staging / "database" / sources.DATABASE_FILE
    assert sources.sqlite_integrity(copy) == "ok"
    connection = sqlite3.connect(copy)
    rows = connection.execute("SELECT count(*) FROM trials_randomization").fetchone()[0]
    records = connection.execute("SELECT count(*) FROM trials_auditrecord").fetchone()[0]
    journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert rows == records >= before  # whole transactions, every one acknowledged before
    assert manifest["audit_head"]["seq"] == records
    assert journal == "delete" and not Path(f"{copy}-wal").exists()
    # progress: the copy and the encryption, each to its total, each bar closed
    (copying, total, done, closed), (encrypting, size, encrypted, closed_too) = progress.bars
    assert copying == "copying the database" and closed and closed_too
    assert done >= total > 0  # the whole file (grown meanwhile) was copied
    assert encrypting == "encrypting" and encrypted == size == sum(
        m["size"] for m in manifest["members"])


def test_the_files_of_the_data_directory(tmp_path):
    data = tmp_path / "data"
    (data / "consent-documents").mkdir(parents=True)
    _database(data / sources.DATABASE_FILE)
    for name in ("secret_key", "allocation-seed", "randomization.confidential.toml",
                 "sdv-plan-seed", "consent-documents/P-001.pdf", "write.lock",
                 f"{sources.DATABASE_FILE}-shm", ".sdv-plan-seed.1a2b3c"):
        (data / name).write_text(name)
    (data / "link").symlink_to(data / "secret_key")
    (data / "backups").mkdir()
    out = data / "backups" / "one.tdbackup"  # a backup folder inside the data directory
    manifest = make_backup(out, KEY, data, None)
    names = sorted(m["name"] for m in manifest["members"])
    assert names == ["database/trialdesk.sqlite3", "files/allocation-seed",
                     "files/consent-documents/P-001.pdf", "files/randomization.confidential.toml",
                     "files/sdv-plan-seed", "files/secret_key"]
    assert manifest["secret_files"] == ["allocation-seed", "randomization.confidential.toml",
                                        "sdv-plan-seed", "secret_key"]
    assert sorted(p.name for p in (data / "backups").iterdir()) == ["one.tdbackup"]
    staging = tmp_path / "staging"
    staging.mkdir()
    with out.open("rb") as raw:
        assert read_backup(raw, KEY, staging) == manifest
    assert (staging / "files" / "consent-documents" / "P-001.pdf").read_text() == (
        "consent-documents/P-001.pdf")


def test_a_failed_backup_leaves_no_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("k")
    out = tmp_path / "out" / "backup.tdbackup"
    out.parent.mkdir()
    with pytest.raises(sources.BackupError, match="no database at"):
        make_backup(out, KEY, data, None)  # no database in the data directory
    assert list(out.parent.iterdir()) == []
