"""The audit head published where a rollback cannot reach it (issue 12, finding 6).

A copy of the SQLite file without its ``-wal`` file (or any older copy) has its records and its
anchors cut off together, so it verifies on its own; ``trialdesk audit head --publish`` keeps the
head in a second place and ``trialdesk audit verify`` then says "cut off after SEQ" (the database is
behind a published head) or "forked at SEQ" (it holds another record at a published number).

The trial runs on a real data directory (``trialdesk serve --demo --setup-only``, then more
participants through the actions in another process); the commands run as subprocesses, as an
administrator would run them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import pytest

from trialdesk.web.core.auditchain import PublishedHead, check_published

DATABASE = "trialdesk.sqlite3"
ENROLL = """
import sys
from trialdesk.web.bootstrap import setup_django
setup_django(data_dir=sys.argv[1])
from trialdesk.web.trials.demo import enroll_demo_participants
print(enroll_demo_participants(int(sys.argv[2]), seed=int(sys.argv[3]))["randomized"])
"""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo trial (users, allocation list, 8 screened participants), built once."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    folder.mkdir()
    result = _trialdesk(folder, "serve", "--data-dir", str(folder), "--demo",
                        "--demo-participants", "8", "--setup-only")
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def data_dir(demo_dir: Path, tmp_path: Path) -> Path:
    """This test's own copy of the demo trial (no process has it open: no -wal file to copy)."""
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    return folder


def _environment(data_dir: Path, **env: str) -> dict[str, str]:
    """This process's environment pointed at ``data_dir``, mail kept in memory, plus ``env``."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("TRIALDESK_")
                   and name not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    environment |= {"TRIALDESK_DATA_DIR": str(data_dir),
                    "TRIALDESK_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    return environment | env


def _trialdesk(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The ``trialdesk`` command line, in another process, on ``data_dir``."""
    return subprocess.run([sys.executable, "-m", "trialdesk.cli", *args],
                          env=_environment(data_dir, **env), capture_output=True, text=True,
                          check=False, timeout=300)


def _run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``trialdesk audit ARGS --data-dir DATA_DIR``."""
    return _trialdesk(data_dir, "audit", *args, "--data-dir", str(data_dir), **env)


def _publish(data_dir: Path, *destinations: str) -> Head:
    options = [arg for destination in destinations for arg in ("--publish", destination)]
    result = _run(data_dir, "head", "--json", *options)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["published"] == list(destinations)
    return Head(body["seq"], body["hash"])


def _enroll(data_dir: Path, count: int, seed: int) -> int:
    """Screen ``count`` more patients through the actions in another process (consenting and
    randomizing the eligible); return how many were randomized."""
    result = subprocess.run([sys.executable, "-c", ENROLL, str(data_dir), str(count), str(seed)],
                            env=_environment(data_dir), capture_output=True, text=True,
                            check=True, timeout=300)
    return int(result.stdout.split()[-1])


def _query(database: Path, sql: str) -> int:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def _last_seq(database: Path) -> int:
    return _query(database, "SELECT max(seq) FROM trials_auditrecord")


def _restore(data_dir: Path, copy: Path) -> None:
    """Put an older copy of the database file in place, as a restore from a backup would."""
    for suffix in ("-wal", "-shm"):
        (data_dir / (DATABASE + suffix)).unlink(missing_ok=True)
    shutil.copyfile(copy, data_dir / DATABASE)


def _verify(data_dir: Path, *args: str, **env: str) -> tuple[int, dict]:
    result = _run(data_dir, "verify", "--json", *args, **env)
    return result.returncode, json.loads(result.stdout)


def test_a_copy_without_its_wal_file_is_found_cut_off_after_its_last_record(data_dir, tmp_path):
    heads_file = tmp_path / "elsewhere" / "audit-heads.jsonl"
    heads_file.parent.mkdir()
    first = _publish(data_dir, str(heads_file))
    assert stat.S_IMODE(heads_file.stat().st_mode) == 0o600

    # Keep a connection open from the last checkpoint on: the newest writes stay in the -wal
    # file (as on a running server), and a copy of the database file alone does not have them.
    database = data_dir / DATABASE
    holder = sqlite3.connect(database)
    try:
        holder.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        holder.execute("SELECT count(*) FROM trials_auditrecord").fetchall()
        randomized = _enroll(data_dir, 6, seed=7)
        second = _publish(data_dir, str(heads_file))
        copy = tmp_path / "copy-without-wal.sqlite3"
        shutil.copyfile(database, copy)
    finally:
        holder.close()
    assert randomized > 0 and second.seq > first.seq
    assert len(heads_file.read_text().splitlines()) == 2

    # the intact database matches both published heads
    code, body = _verify(data_dir, "--published", str(heads_file))
    assert code == 0 and body["ok"] and body["published_heads"] == 2
    text = _run(data_dir, "verify", "--published", str(heads_file))
    assert text.returncode == 0
    assert f"matches 2 published heads (newest: record {second.seq})" in text.stdout

    allocations = "SELECT count(*) FROM trials_randomization"
    acknowledged = _query(database, allocations)
    _restore(data_dir, copy)
    # the copy lost everything after the checkpoint, acknowledged allocations included
    assert _last_seq(database) == first.seq
    assert acknowledged - _query(database, allocations) == randomized
    # records and anchors were cut off together: the database alone cannot tell
    code, body = _verify(data_dir)
    assert code == 0 and body["ok"] and "published_heads" not in body

    code, body = _verify(data_dir, "--published", str(heads_file))
    assert code == 1 and not body["ok"]
    assert body["first_bad_record"] == first.seq + 1
    assert body["problem"].startswith(f"cut off after {first.seq}: ")
    assert f"published head {second.seq}:{second.hash}" in body["problem"]
    assert f"the database's last record is {first.seq}" in body["problem"]
    assert f"{heads_file} line 2" in body["problem"]

    text = _run(data_dir, "verify", "--published", str(heads_file))
    assert text.returncode == 1
    assert f"BROKEN at record {first.seq + 1}: cut off after {first.seq}" in text.stdout

    # the same from the setting, the file found without being named; a mail destination and a
    # file not written yet are no heads to compare
    configured = f"{heads_file},mailto:dsmb@example.org,{tmp_path / 'not-yet.jsonl'}"
    code, body = _verify(data_dir, TRIALDESK_AUDIT_PUBLISH=configured)
    assert code == 1 and body["problem"].startswith(f"cut off after {first.seq}: ")
    assert body["published_missing"] == [str(tmp_path / "not-yet.jsonl")]

    # publishing again from the cut database is refused: the file's heads are checked first
    refused = _run(data_dir, "head", "--publish", str(heads_file))
    assert refused.returncode == 1 and f"not published: cut off after {first.seq}" in (
        refused.stderr)
    assert len(heads_file.read_text().splitlines()) == 2


def test_an_older_copy_that_went_on_writing_is_found_forked_at_the_published_head(
        data_dir, tmp_path):
    heads_file = tmp_path / "audit-heads.jsonl"
    first = _publish(data_dir, str(heads_file))
    older = tmp_path / "older.sqlite3"
    shutil.copyfile(data_dir / DATABASE, older)  # a backup: no process has the trial open
    _enroll(data_dir, 6, seed=7)
    second = _publish(data_dir, str(heads_file))

    _restore(data_dir, older)
    _enroll(data_dir, 12, seed=11)  # the server went on from the older copy: another history
    database = data_dir / DATABASE
    assert _last_seq(database) >= second.seq
    code, body = _verify(data_dir)
    assert code == 0 and body["ok"]  # a consistent chain with consistent anchors

    code, body = _verify(data_dir, "--published", str(heads_file))
    assert code == 1 and body["first_bad_record"] == second.seq
    assert body["problem"].startswith(f"forked at {second.seq}: ")
    assert f"the newest published head it still has is record {first.seq}" in body["problem"]
    assert body["published_heads"] == 2


def test_a_record_rewritten_at_a_published_number_is_found_forked(data_dir, tmp_path):
    heads_file = tmp_path / "audit-heads.jsonl"
    head = _publish(data_dir, str(heads_file))
    _enroll(data_dir, 4, seed=5)
    # the published record rewritten, its hash, the next link and the anchor made to agree
    # (the triggers dropped, as an attacker with the file would), so the chain verifies
    connection = sqlite3.connect(data_dir / DATABASE)
    try:
        _rewrite_record(connection, head.seq)
    finally:
        connection.close()
    code, body = _verify(data_dir)
    assert code == 0 and body["ok"]
    code, body = _verify(data_dir, "--published", str(heads_file))
    assert code == 1 and body["first_bad_record"] == head.seq
    assert body["problem"].startswith(f"forked at {head.seq}: ")
    assert head.hash in body["problem"]


def _rewrite_record(connection: sqlite3.Connection, seq: int) -> None:
    """Change record ``seq``'s actor and re-hash it and every later record, and their anchors."""
    from trialdesk.web.core.auditchain import HASHED_FIELDS, record_hash

    for table in ("trials_auditrecord", "trials_auditanchor"):
        for kind in ("update", "delete"):
            connection.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}")
    columns = ", ".join(HASHED_FIELDS)
    rows = connection.execute(
        f"SELECT {columns} FROM trials_auditrecord WHERE seq >= ? ORDER BY seq",  # noqa: S608
        [seq]).fetchall()
    previous = None
    for row in rows:
        record = dict(zip(HASHED_FIELDS, row, strict=True))
        record["changes"] = json.loads(record["changes"])
        # SQLite keeps Django's times as naive UTC text; the hash is over the aware time
        record["at"] = datetime.fromisoformat(record["at"]).replace(tzinfo=UTC)
        if record["seq"] == seq:
            record["actor"] = "mallory"
        else:
            record["prev_hash"] = previous
        previous = record_hash(record)
        connection.execute("UPDATE trials_auditrecord SET actor = ?, prev_hash = ?, hash = ? "
                           "WHERE seq = ?",
                           [record["actor"], record["prev_hash"], previous, record["seq"]])
        connection.execute("UPDATE trials_auditanchor SET hash = ? WHERE seq = ?",
                           [previous, record["seq"]])
    connection.commit()


def test_heads_are_mailed_and_published_to_every_configured_destination(data_dir, tmp_path):
    first_file, second_file = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    configured = f"{first_file}, mailto:dsmb@example.org ,{second_file}"
    env = {"TRIALDESK_AUDIT_PUBLISH": configured,
           "TRIALDESK_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
    result = _run(data_dir, "head", "--json", "--publish-configured", **env)
    assert result.returncode == 0, result.stderr
    head = json.loads(result.stdout)
    assert head["published"] == [str(first_file), "mailto:dsmb@example.org", str(second_file)]
    for path in (first_file, second_file):
        [line] = path.read_text().splitlines()
        entry = json.loads(line)
        assert (entry["seq"], entry["hash"], entry["trial"]) == (head["seq"], head["hash"],
                                                                 "NCT04390152")
        assert entry["head"] == f"{head['seq']}:{head['hash']}" and entry["published_at"]
        assert set(entry) == {"trial", "seq", "hash", "head", "at", "published_at"}
    [mail_file] = (data_dir / "mail").iterdir()
    message = message_from_bytes(mail_file.read_bytes())
    assert message["To"] == "dsmb@example.org"
    assert f"audit head {head['seq']}" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert f"--expect-head {head['seq']}:{head['hash']}" in body

    code, body = _verify(data_dir, TRIALDESK_AUDIT_PUBLISH=configured)
    assert code == 0 and body["ok"] and body["published_heads"] == 1
    assert body["published_missing"] == []

    bad = _run(data_dir, "head", "--publish", "mailto:nobody")
    assert bad.returncode == 2 and "mailto:" in bad.stderr
    unreadable = tmp_path / "not-heads.jsonl"
    unreadable.write_text('{"seq": 1}\n')
    broken = _run(data_dir, "verify", "--published", str(unreadable))
    assert broken.returncode == 1 and f"{unreadable} line 1: not a published head" in (
        broken.stderr)


def _heads(*pairs: tuple[int, str]) -> list[PublishedHead]:
    return [PublishedHead(seq, digest, source=f"f line {n}")
            for n, (seq, digest) in enumerate(pairs, start=1)]


def test_check_published_names_the_cut_and_the_fork_without_a_database():
    chain = {seq: f"{seq:064x}" for seq in range(1, 11)}
    assert check_published(chain, 10, _heads((4, chain[4]), (10, chain[10]))).ok
    cut = check_published(chain, 10, _heads((4, chain[4]), (12, "c" * 64), (15, "d" * 64)))
    assert not cut.ok and cut.first_bad_seq == 11
    assert cut.problem.startswith("cut off after 10: the published head 15:" + "d" * 64)
    fork = check_published(chain, 10, _heads((4, chain[4]), (7, "e" * 64), (15, "d" * 64)))
    assert not fork.ok and fork.first_bad_seq == 7 and fork.problem.startswith("forked at 7: ")
    assert "the newest published head it still has is record 4" in fork.problem
    empty = check_published({}, 0, _heads((1, "a" * 64)))
    assert empty.problem.startswith("cut off after 0: ")


def test_the_head_is_mailed_with_djangos_mail_and_appended_in_process(
        db, settings, mailoutbox, monkeypatch, tmp_path):
    from click.testing import CliRunner
    from trial_factory import make_trial

    from trialdesk.commands.audit import command as audit_command
    from trialdesk.web.core.models import AuditRecord

    make_trial(settings)
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path))  # the command sets it; restore ours
    heads_file = tmp_path / "heads.jsonl"
    result = CliRunner().invoke(audit_command, [
        "head", "--data-dir", ".", "--publish", "mailto:dsmb@example.org",
        "--publish", str(heads_file)])
    assert result.exit_code == 0, result.output
    last = AuditRecord.objects.order_by("-seq").first()
    assert result.output.splitlines() == [f"{last.seq}:{last.hash}",
                                          "published to mailto:dsmb@example.org",
                                          f"published to {heads_file}"]
    [message] = mailoutbox
    assert message.to == ["dsmb@example.org"] and str(last.seq) in message.subject
    assert f"--expect-head {last.seq}:{last.hash}" in message.body
    assert heads_file.read_text().splitlines()[0] in message.body
    verified = CliRunner().invoke(audit_command, ["verify", "--data-dir", ".",
                                                  "--published", str(heads_file)])
    assert verified.exit_code == 0
    assert f"matches 1 published head (newest: record {last.seq})" in verified.output
