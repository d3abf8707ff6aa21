"""``trialdesk sites``: activate, suspend and close a site as a named administrator, audited
(issue 24)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
from live_server import trialdesk


def test_sites_activate_suspend_close_and_list_as_the_administrator(tmp_path):
    run = {"data_dir": tmp_path}
    trialdesk("users", "create", "--username", "ops", "--role", "admin", "--data-dir",
              str(tmp_path), **run)
    trialdesk("users", "create", "--username", "mon", "--role", "monitor", "--data-dir",
              str(tmp_path), **run)
    listed = json.loads(trialdesk("sites", "list", "--json", "--data-dir", str(tmp_path),
                                  **run).stdout)
    assert {s["status"] for s in listed["sites"]} == {"planned"}

    activated = trialdesk("sites", "activate", "CO-01", "--as", "ops", "--reason",
                          "Initiation visit done.", "--on", "2020-01-13", "--json",
                          "--data-dir", str(tmp_path), **run)
    assert json.loads(activated.stdout) == {"code": "CO-01", "status": "active",
                                            "activated_on": "2020-01-13"}
    suspended = trialdesk("sites", "suspend", "CO-01", "--as", "ops", "--reason",
                          "Monitoring finding: recruitment on hold.", "--data-dir",
                          str(tmp_path), **run)
    assert suspended.stdout.strip() == "CO-01: suspended"
    closed = trialdesk("sites", "close", "CO-01", "--as", "ops", "--reason", "Target reached.",
                       "--data-dir", str(tmp_path), **run)
    assert closed.stdout.strip() == "CO-01: closed"

    not_allowed = trialdesk("sites", "activate", "CO-02", "--as", "mon", "--reason", "x",
                            "--data-dir", str(tmp_path), check=False, **run)
    assert not_allowed.returncode == 1
    no_reason = trialdesk("sites", "activate", "CO-02", "--as", "ops", "--reason", " ",
                          "--data-dir", str(tmp_path), check=False, **run)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    listed = json.loads(trialdesk("sites", "list", "--json", "--data-dir", str(tmp_path),
                                  **run).stdout)
    assert [(s["code"], s["status"]) for s in listed["sites"]] == [
        ("CO-01", "closed"), ("CO-02", "planned"), ("CO-03", "planned")]
    verify = json.loads(trialdesk("audit", "verify", "--json", "--data-dir", str(tmp_path),
                                  **run).stdout)
    assert verify["ok"]
