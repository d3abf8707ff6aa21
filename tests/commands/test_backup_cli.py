"""``trialdesk backup`` / ``backup --verify`` / ``restore`` on an SQLite data directory, run as
subprocesses as an administrator would: what a backup holds (manifest, hashes, secrets, the audit
head), a restore that puts it all back with private permissions, and every refusal (wrong key,
wrong passphrase, flipped byte, truncation, swapped chunks, a non-empty target) with a clear
message, no traceback and nothing written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trialdesk.backup.crypto import FRAME, HEADER

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))  # live-server helpers
from live_server import setup_demo

PASSPHRASE = "the trial's backup passphrase\n"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DATABASE_URL", "TRIALDESK_DATA_DIR", "DJANGO_SETTINGS_MODULE",
                                   "TRIALDESK_AUDIT_PUBLISH")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "trialdesk.cli", *args], env=environment,
                          capture_output=True, text=True, check=False, timeout=600)


def _tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def trial(tmp_path_factory) -> dict[str, Path]:
    """A demo data directory (users, allocation list) with extra files, its key, its passphrase
    and one backup made with each."""
    root = tmp_path_factory.mktemp("backup")
    data = root / "data"
    setup_demo(data, slots_per_stratum=4)
    (data / "sdv-plan-seed").write_text("5" * 64 + "\n")
    (data / "consent-documents").mkdir(mode=0o700)
    (data / "consent-documents" / "P-001.pdf").write_bytes(b"%PDF-1.7 signed consent")
    key, passphrase = root / "backup.key", root / "passphrase"
    assert run("backup", "--new-key-file", str(key)).returncode == 0
    passphrase.write_text(PASSPHRASE)
    passphrase.chmod(0o600)
    made = run("backup", "--out", str(root / "key.tdbackup"), "--data-dir", str(data),
               "--key-file", str(key), "--json")
    assert made.returncode == 0, made.stderr
    by_passphrase = run("backup", "--out", str(root / "passphrase.tdbackup"), "--data-dir",
                        str(data), "--passphrase-file", str(passphrase))
    assert by_passphrase.returncode == 0, by_passphrase.stderr
    (root / "manifest.json").write_text(json.dumps(json.loads(made.stdout)["manifest"]))
    return {"root": root, "data": data, "key": key, "passphrase": passphrase,
            "backup": root / "key.tdbackup", "by_passphrase": root / "passphrase.tdbackup"}


def test_the_manifest_lists_the_database_the_secrets_and_the_audit_head(trial):
    manifest = json.loads((trial["root"] / "manifest.json").read_text())
    assert manifest["format"] == "trialdesk-backup" and manifest["version"] == 1
    assert manifest["database"] == "sqlite" and manifest["created_at"].endswith("+00:00")
    files = {m["name"]: m for m in manifest["members"]}
    data = trial["data"]
    expected = {f"files/{name}": hashlib.sha256(content).hexdigest()
                for name, content in _tree(data).items()
                if name not in ("trialdesk.sqlite3", "write.lock")}
    assert {name: m["sha256"] for name, m in files.items() if name.startswith("files/")} == expected
    assert "database/trialdesk.sqlite3" in files
    assert set(manifest["secret_files"]) == {"secret_key", "allocation-seed", "sdv-plan-seed",
                                             "demo-users.json"}
    head = run("audit", "head", "--data-dir", str(data), "--json")
    assert head.returncode == 0, head.stderr
    published = json.loads(head.stdout)
    assert (manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]) == (
        published["seq"], published["hash"])


def test_verify_checks_everything_and_writes_nothing(trial):
    before = _tree(trial["root"])
    for backup, key in ((trial["backup"], ["--key-file", str(trial["key"])]),
                        (trial["by_passphrase"], ["--passphrase-file", str(trial["passphrase"])])):
        checked = run("backup", "--verify", str(backup), *key)
        assert checked.returncode == 0, checked.stderr
        assert f"backup {backup} is intact: sqlite database and 5 files" in checked.stdout
        assert "audit trail intact" in checked.stdout
    assert _tree(trial["root"]) == before


def test_restore_puts_back_the_database_and_the_files_privately(trial, tmp_path):
    target = tmp_path / "restored"
    restored = run("restore", str(trial["backup"]), "--data-dir", str(target), "--key-file",
                   str(trial["key"]))
    assert restored.returncode == 0, restored.stderr
    assert "audit trail intact" in restored.stdout
    source, copy = _tree(trial["data"]), _tree(target)
    for name in ("secret_key", "allocation-seed", "sdv-plan-seed", "demo-users.json",
                 "consent-documents/P-001.pdf"):
        assert copy[name] == source[name], name
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "consent-documents").stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "trialdesk.sqlite3").stat().st_mode) == 0o600
    verify = run("audit", "verify", "--data-dir", str(target))
    assert verify.returncode == 0 and verify.stdout.startswith("audit trail intact"), verify.stdout
    users = run("users", "list", "--data-dir", str(target))
    assert users.returncode == 0 and "investigator-co-01" in users.stdout


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _damaged(trial, tmp_path, name: str, change) -> Path:
    blob = trial["backup"].read_bytes()
    path = tmp_path / name
    path.write_bytes(change(blob))
    return path


def _frames(blob: bytes) -> list[tuple[int, int]]:
    frames, offset = [], HEADER.size
    while offset < len(blob):
        _, length = FRAME.unpack_from(blob, offset)
        frames.append((offset, FRAME.size + length))
        offset += FRAME.size + length
    return frames


def _flip(blob: bytes) -> bytes:
    middle = bytearray(blob)
    middle[len(blob) // 2] ^= 0x04
    return bytes(middle)


def _swap(blob: bytes) -> bytes:
    (a, la), (b, lb) = _frames(blob)[:2]
    return blob[:a] + blob[b:b + lb] + blob[a:a + la] + blob[b + lb:]


CASES = {
    "flipped byte": (_flip, "does not authenticate: the file was altered"),
    "truncated": (lambda blob: blob[: len(blob) - 1000], "the file is truncated"),
    "swapped chunks": (_swap, "chunk 0 does not authenticate"),
    "not a backup": (lambda blob: b"PK\x03\x04" + blob[4:], "this is not a trialdesk backup"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_backup_is_refused_and_nothing_is_written(trial, tmp_path, case):
    change, message = CASES[case]
    damaged = _damaged(trial, tmp_path, "damaged.tdbackup", change)
    assert len(_frames(trial["backup"].read_bytes())) >= 2  # the swap moves whole chunks
    before = _tree(tmp_path)
    _refused(run("backup", "--verify", str(damaged), "--key-file", str(trial["key"])), message)
    target = tmp_path / "restored"
    _refused(run("restore", str(damaged), "--data-dir", str(target), "--key-file",
                 str(trial["key"])), message)
    assert not target.exists()
    assert _tree(tmp_path) == before and [p.name for p in tmp_path.iterdir()] == [damaged.name]


def test_a_wrong_key_or_passphrase_is_refused(trial, tmp_path):
    other = tmp_path / "other.key"
    assert run("backup", "--new-key-file", str(other)).returncode == 0
    _refused(run("backup", "--verify", str(trial["backup"]), "--key-file", str(other)),
             f"the key file {other} does not open this backup")
    wrong = tmp_path / "wrong-passphrase"
    wrong.write_text("not the trial's passphrase\n")
    wrong.chmod(0o600)
    _refused(run("backup", "--verify", str(trial["by_passphrase"]), "--passphrase-file",
                 str(wrong)), f"the passphrase of {wrong} does not open this backup")
    _refused(run("restore", str(trial["by_passphrase"]), "--data-dir", str(tmp_path / "r"),
                 "--key-file", str(trial["key"])),
             "encrypted with a passphrase: give --passphrase-file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.key", "wrong-passphrase"]


def test_restore_into_a_non_empty_data_directory_is_refused(trial, tmp_path):
    target = tmp_path / "in-use"
    shutil.copytree(trial["data"], target)
    (target / "allocation-seed").write_text("another trial's seed\n")
    before = _tree(target)
    _refused(run("restore", str(trial["backup"]), "--data-dir", str(target), "--key-file",
                 str(trial["key"])), "is not empty: restore into an empty data directory")
    assert _tree(target) == before
    (target / "trialdesk.sqlite3-wal").write_bytes(b"a stale write-ahead log")
    forced = run("restore", str(trial["backup"]), "--data-dir", str(target), "--key-file",
                 str(trial["key"]), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (target / "allocation-seed").read_bytes() == (trial["data"] / "allocation-seed"
                                                         ).read_bytes()


def test_scheduled_backups_keep_the_newest_n(trial, tmp_path):
    folder = tmp_path / "scheduled"
    folder.mkdir()
    old = ["trialdesk-20261201T020000Z.tdbackup", "trialdesk-20261202T020000Z.tdbackup",
           "trialdesk-20261203T020000Z.tdbackup"]
    for name in old:
        shutil.copy(trial["backup"], folder / name)
    (folder / "README").write_text("backups of the trial server\n")
    made = run("backup", "--out-dir", str(folder), "--keep", "2", "--data-dir",
               str(trial["data"]), "--key-file", str(trial["key"]), "--json")
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    new = Path(answer["file"]).name
    assert new.startswith("trialdesk-2") and new.endswith("Z.tdbackup") and new > old[-1]
    assert sorted(p.name for p in folder.iterdir()) == ["README", old[-1], new]
    assert sorted(Path(p).name for p in answer["deleted"]) == old[:2]
    assert stat.S_IMODE((folder / new).stat().st_mode) == 0o600
    checked = run("backup", "--verify", str(folder / new), "--key-file", str(trial["key"]))
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("args, message", [
    (["--out", "x.tdbackup"], "give exactly one of --passphrase-file and --key-file"),
    (["--out", "x", "--verify", "y", "--key-file", "k"], "give one of --out, --out-dir"),
    (["--out", "x", "--keep", "3", "--key-file", "k"], "--keep goes with --out-dir"),
])
def test_usage_errors(tmp_path, args, message):
    result = run("backup", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_an_existing_backup_file_is_never_overwritten(trial):
    before = trial["backup"].read_bytes()
    _refused(run("backup", "--out", str(trial["backup"]), "--data-dir", str(trial["data"]),
                 "--key-file", str(trial["key"])), "exists: a backup is never overwritten")
    assert trial["backup"].read_bytes() == before


def test_postgresql_without_the_client_tools_says_so(trial, tmp_path):
    result = run("backup", "--out", str(tmp_path / "pg.tdbackup"), "--data-dir",
                 str(trial["data"]), "--key-file", str(trial["key"]),
                 env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                      "PATH": str(tmp_path)})
    _refused(result, "not found: install the PostgreSQL client tools")
    assert list(tmp_path.iterdir()) == []


def test_a_key_file_others_can_read_is_named(tmp_path):
    from click.testing import CliRunner

    from trialdesk.cli import main

    key = tmp_path / "backup.key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    result = CliRunner().invoke(main, ["backup", "--out", str(tmp_path / "b.tdbackup"),
                                       "--data-dir", str(tmp_path / "none"), "--key-file",
                                       str(key)])
    assert result.exit_code == 1
    assert f"warning: {key} can be read by other accounts (chmod 600 {key})" in result.output
    assert "no data directory at" in result.output


def test_a_destination_that_cannot_be_written_is_refused_without_traceback(trial, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    _refused(run("backup", "--out", str(blocker / "b.tdbackup"), "--data-dir",
                 str(trial["data"]), "--key-file", str(trial["key"])), f"Error: {blocker}: ")
    _refused(run("restore", str(trial["backup"]), "--data-dir", str(blocker / "data"),
                 "--key-file", str(trial["key"])), f"Error: {blocker}: ")
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]
