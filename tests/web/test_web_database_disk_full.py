"""Acceptance (issue 20): the disk under the SQLite data directory fills up mid-trial.

The request that finds the disk full gets a clear answer (507, ``storage_full``, naming the disk
of the data directory; a page says it in the user's language), no table changes, ``PRAGMA
integrity_check`` says ok, reads go on, and once space is freed the same request with the same
idempotency key is carried out once. Run by ``disk_full_probe.py`` in a process of its own with
the server's settings (a real SQLite file in WAL mode), see there how the disk is filled.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from live_server import check_allocation_invariants, setup_demo, trialdesk

TESTS = Path(__file__).resolve().parent.parent


def _probe(data_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "TRIALDESK_PROTOCOL")}
    env.update(DJANGO_SETTINGS_MODULE="trialdesk.web.settings", TRIALDESK_DATA_DIR=str(data_dir),
               TRIALDESK_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
               PYTHONPATH=os.pathsep.join([str(TESTS / "helpers"), str(TESTS / "web"),
                                           env.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(Path(__file__).parent / "disk_full_probe.py"),
                             str(data_dir)], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_full_disk_is_refused_clearly_changes_nothing_and_the_database_stays_whole(tmp_path):
    setup_demo(tmp_path, None, slots_per_stratum=60)
    outcome = _probe(tmp_path)
    refused = outcome["refused"]
    assert refused is not None, f"the disk never filled ({outcome['accepted']} randomized)"
    assert outcome["accepted"] >= 0
    assert refused["status"] == 507
    assert refused["body"]["error"] == "storage_full"
    assert "disk of the server's data directory" in refused["body"]["detail"]
    assert "full" in refused["body"]["detail"]
    assert refused["retry_after"] is None  # freeing a disk is the operator's, not a retry's
    assert refused["unchanged"], "a table changed in the refused request"
    # a page says it in the reader's language, in the error layout
    assert outcome["page_status"] == 507
    assert "El disco del servidor está lleno" in outcome["page"]
    assert outcome["integrity"] == ["ok"]
    assert outcome["read_status"] == 200
    # space freed: the same request is carried out, once; its repeat answers the first result
    (first, kit), (again, same_kit) = outcome["retries"]
    assert (first, again) == (201, 200) and kit and same_kit == kit
    connection = sqlite3.connect(tmp_path / "trialdesk.sqlite3")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        connection.close()
    counts = check_allocation_invariants(tmp_path, None)
    assert counts["randomized"] == outcome["accepted"] + 1
    verify = trialdesk("audit", "verify", "--data-dir", str(tmp_path), data_dir=tmp_path,
                       check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
