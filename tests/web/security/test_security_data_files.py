"""Files that hold allocations or secrets must be readable by the server's user only.

Attack: another account on the server (a shared hospital host, a CI runner) reads the SQLite
database (every slot's arm and the list's salt) or an allocation list written by
``trialdesk randomization generate``, because the umask left them world-readable.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.web.datadir import data_dir


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_is_private(tmp_path, monkeypatch, usual_umask):
    folder = tmp_path / "new" / "data"
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(folder))
    assert data_dir() == folder.resolve()
    assert _mode(folder) & 0o077 == 0


def test_an_existing_world_readable_data_directory_is_made_private(
    tmp_path, monkeypatch, usual_umask
):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    (folder / "trialdesk.sqlite3").write_bytes(b"")  # created by SQLite with the umask: 0644
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(folder))
    data_dir()
    # another user can no longer reach the database, whatever its own mode
    assert _mode(folder) == 0o700


def test_a_shared_sticky_folder_is_left_alone(tmp_path, monkeypatch, usual_umask):
    """A folder like /tmp (sticky, shared by design) is never tightened."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(folder))
    data_dir()
    assert _mode(folder) == 0o1777


@pytest.mark.parametrize("force", [False, True])
def test_generated_allocation_list_is_owner_only(tmp_path, usual_umask, force):
    out = tmp_path / "list.csv"
    if force:
        out.write_text("old\n")
        out.chmod(0o644)
    result = CliRunner().invoke(main, [
        "randomization", "generate", "--seed-file", str(tmp_path / "seed"), "--out", str(out),
        "--slots-per-stratum", "4", *(["--force"] if force else []),
    ])
    assert result.exit_code == 0, result.output
    assert "msc" in out.read_text()  # the file does hold the arms
    assert _mode(out) == 0o600
    assert _mode(tmp_path / "seed") == 0o600


def test_imported_allocation_list_written_owner_only(tmp_path, usual_umask):
    runner = CliRunner()
    source = tmp_path / "list.csv"
    assert runner.invoke(main, ["randomization", "generate", "--seed-file", str(tmp_path / "s"),
                                "--out", str(source), "--slots-per-stratum", "4"]).exit_code == 0
    out = tmp_path / "copy.csv"
    result = runner.invoke(main, ["randomization", "import", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o600


def test_demo_credentials_and_seed_are_owner_only(tmp_path, usual_umask, db, settings):
    from trialdesk.web.trials import actions
    from trialdesk.web.trials.demo import commit_allocation_list, create_demo_users

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    actions.do_load_sites(actor="test")
    create_demo_users(tmp_path)
    commit_allocation_list(tmp_path, slots_per_stratum=4)
    assert _mode(tmp_path / "demo-users.json") == 0o600
    assert _mode(tmp_path / "allocation-seed") == 0o600
