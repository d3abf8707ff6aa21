"""``trialdesk schedule``: the operator sets, lists and stops schedules, stored and audited; a
bad interval, a missing key file, a folder inside the data directory and an unknown format are
refused before anything is stored (issue 20)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))  # live-server helpers
from live_server import fetch, setup_demo, trialdesk


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("schedule") / "data"
    setup_demo(folder, slots_per_stratum=4)
    return folder


def test_schedules_are_set_listed_stopped_and_refused_at_the_command_line(data_dir, tmp_path):
    def run(*args: str):
        return trialdesk("schedule", *args, "--data-dir", str(data_dir), data_dir=data_dir,
                         check=False)

    key, out = tmp_path / "backup.key", tmp_path / "backups"
    assert trialdesk("backup", "--new-key-file", str(key), data_dir=data_dir).returncode == 0
    made = run("backup", "--every", "24h", "--first", "2027-01-01T02:15", "--out-dir", str(out),
               "--keep", "14", "--key-file", str(key))
    assert made.returncode == 0, made.stderr
    assert "first due 2027-01-01T02:15:00+00:00" in made.stdout
    refusals = [
        (("backup", "--every", "soon", "--out-dir", str(out), "--keep", "2", "--key-file",
          str(key)), "--every"),
        (("backup", "--every", "1m", "--out-dir", str(out), "--keep", "2", "--key-file",
          str(key)), "at least 5 minutes"),
        (("backup", "--every", "99999999999999d", "--out-dir", str(out), "--keep", "2",
          "--key-file", str(key)), "at most 366 days"),
        (("backup", "--every", "1d", "--out-dir", str(out), "--keep", "2", "--key-file",
          str(tmp_path / "missing.key")), "missing.key"),
        (("backup", "--every", "1d", "--out-dir", str(data_dir / "backups"), "--keep", "2",
          "--key-file", str(key)), "outside the data directory"),
        (("data-cut", "--every", "7d", "--format", "spss", "--as", "data-manager"), "spss"),
        (("data-cut", "--every", "7d", "--format", "sdtm", "--as", "nobody"), "nobody"),
    ]
    for args, said in refusals:
        refused = run(*args)
        assert refused.returncode != 0 and said in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr
    users = json.loads((data_dir / "demo-users.json").read_text())
    manager = next(user["username"] for user in users if user["role"] == "data_manager")
    cut = run("data-cut", "--every", "7d", "--format", "sdtm", "--format", "adam", "--as",
              manager)
    assert cut.returncode == 0, cut.stderr
    assert run("stop", "1").returncode == 0
    listed = json.loads(run("list", "--json").stdout)
    assert [(row["id"], row["kind"], row["active"], row["every"]) for row in listed] == [
        (1, "backup", False, "1d"), (2, "data_cut", True, "1w")]
    assert listed[0]["settings"] == {"out_dir": str(out.resolve()), "keep": 14,
                                     "key_file": str(key.resolve())}
    assert listed[1]["settings"] == {"formats": ["sdtm", "adam"]}
    audited = fetch(data_dir, None, "SELECT action, actor FROM trials_auditrecord WHERE "
                                    "model = 'schedule' ORDER BY seq")
    assert audited == [("create_schedule", "cli"), ("create_schedule", "cli"),
                       ("stop_schedule", "cli")]
    assert run("stop", "99").returncode != 0
