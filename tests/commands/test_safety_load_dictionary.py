"""``trialdesk safety load-dictionary --meddra DIR``: the sponsor's MedDRA release becomes the
coding dictionary, audited; a folder that is not a release is refused naming the file. The
command runs as a subprocess, on its own data directory, as an operator runs it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def _trialdesk(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRIALDESK_DATA_DIR", "DATABASE_URL", "TRIALDESK_PROTOCOL")}
    return subprocess.run([sys.executable, "-m", "trialdesk.cli", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_a_release_is_loaded_and_a_folder_without_one_is_refused(test_data: Path, tmp_path):
    data_dir = tmp_path / "server"
    refused = _trialdesk("safety", "load-dictionary", "--meddra", str(tmp_path),
                         "--data-dir", str(data_dir))
    assert refused.returncode == 2, refused.stderr
    assert "--meddra" in refused.stderr and ".asc" in refused.stderr
    loaded = _trialdesk("safety", "load-dictionary", "--meddra",
                        str(test_data / "meddra-synthetic"), "--data-dir", str(data_dir),
                        "--json")
    assert loaded.returncode == 0, loaded.stderr
    figures = json.loads(loaded.stdout)
    assert figures["llts"] > figures["pts"] > 0 and len(figures["sha256"]) == 64
    with sqlite3.connect(data_dir / "trialdesk.sqlite3") as database:
        rows = database.execute("SELECT actor, changes FROM trials_auditrecord "
                                "WHERE action = 'load_dictionary'").fetchall()
    assert len(rows) == 1 and rows[0][0] == "cli"
    assert json.loads(rows[0][1])["sha256"]["new"] == figures["sha256"]
