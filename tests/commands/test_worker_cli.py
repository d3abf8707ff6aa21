"""``trialdesk worker`` refuses a database that ``trialdesk serve`` has not migrated, naming the
step to take (it migrates nothing itself: workers on several machines would race). Running
tasks, and surviving a kill, is tests/web/worker/test_worker_kill.py."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_worker_on_an_unmigrated_database_says_what_to_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRIALDESK_DATA_DIR")}
    result = subprocess.run([sys.executable, "-m", "trialdesk.cli", "worker", "--data-dir",
                             str(tmp_path / "data"), "--batch"], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 1
    assert "migrations not applied" in result.stderr
    assert "run `trialdesk serve --setup-only`" in result.stderr
