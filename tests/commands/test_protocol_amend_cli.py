"""``trialdesk protocol amend``: the classified diff against the data directory's protocol, the
amendment recorded with --apply (and a site's approval with --approve), and a randomization change
refused once the allocation list is loaded (here: participants randomized too), naming the field
(issue 17).

The trial is a real data directory (``trialdesk serve --demo --setup-only``: users, the allocation
list, participants randomized); the command runs as a subprocess, as an administrator would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trialdesk.protocol import default_protocol_path

DATABASE = "trialdesk.sqlite3"
PAO2_RANGE = ("required = true\nrange = { min = 20, max = 700 }\n"
              "soft_range = { min = 40, max = 500 }")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    folder.mkdir()
    result = _trialdesk(folder, "serve", "--data-dir", str(folder), "--demo",
                        "--demo-participants", "6", "--setup-only")
    assert result.returncode == 0, result.stderr
    randomized = _query(folder, "select count(*) from trials_randomization")
    assert randomized > 0  # the refusal below needs randomization to have started
    return folder


def _trialdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("TRIALDESK_")
                   and name not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    environment["TRIALDESK_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "trialdesk.cli", *args], env=environment,
                          capture_output=True, text=True, check=False, timeout=300)


def _query(data_dir: Path, sql: str) -> int:
    connection = sqlite3.connect(data_dir / DATABASE)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def _written(folder: Path, name: str, old: str, new: str) -> Path:
    text = default_protocol_path().read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the bundled protocol changed: {old!r}"
    path = folder / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _amend(data_dir: Path, path: Path, *options: str) -> subprocess.CompletedProcess:
    return _trialdesk(data_dir, "protocol", "amend", str(path), "--data-dir", str(data_dir),
                      *options)


def test_a_randomization_change_is_refused_after_the_first_randomization(data_dir, tmp_path):
    path = _written(tmp_path, "blocks.toml", "block_sizes = [2, 4]", "block_sizes = [4, 6]")
    for options in ((), ("--apply", "--reason", "bigger blocks")):
        result = _amend(data_dir, path, *options)
        assert result.returncode == 1, result.stdout
        assert "design.randomization.block_sizes" in result.stderr
        assert "randomization_fixed" in result.stderr
        assert "4, 6" not in result.stdout + result.stderr  # confidential: never shown
    assert _query(data_dir, "select count(*) from amendments_protocolversion") == 0


def test_the_diff_is_shown_then_recorded_with_a_site_approval(data_dir, tmp_path):
    path = _written(tmp_path, "pao2.toml", PAO2_RANGE, PAO2_RANGE.replace("700", "600"))
    shown = _amend(data_dir, path)
    assert shown.returncode == 0, shown.stderr
    assert "forms.respiratory.fields.pao2.range.max: 700 -> 600" in shown.stdout
    assert "not recorded" in shown.stdout
    assert _query(data_dir, "select count(*) from amendments_protocolversion") == 0

    today = datetime.now(UTC).date().isoformat()
    applied = _amend(data_dir, path, "--apply", "--reason", "PaO2 above 600 is implausible",
                     "--approve", f"CO-01={today}")
    assert applied.returncode == 0, applied.stderr
    assert "recorded protocol version 2" in applied.stdout
    assert _query(data_dir, "select count(*) from amendments_siteapproval") == 1
    later = _amend(data_dir, path, "--apply", "--approve", f"CO-02={today}")
    assert later.returncode == 0, later.stderr
    assert "already recorded" in later.stdout
    assert _query(data_dir, "select count(*) from amendments_siteapproval") == 2
    assert _query(data_dir, "select count(*) from trials_auditrecord where action in "
                            "('amend_protocol', 'record_site_approval')") == 3


def test_an_unknown_language_is_refused_before_the_data_directory_is_touched(tmp_path):
    """An error naming the available languages, not English in its place (issue 19)."""
    new = tmp_path / "new.toml"
    new.write_text(default_protocol_path().read_text(encoding="utf-8"), encoding="utf-8")
    folder = tmp_path / "data"
    result = _trialdesk(folder, "protocol", "amend", str(new), "--language", "fr",
                        "--data-dir", str(folder))
    assert result.returncode == 2
    assert "unknown language 'fr'; available: en, es" in result.stderr
    assert not folder.exists()
