"""The command line of the trial server: serve --demo --setup-only, users, audit verify."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
from live_server import trialdesk


def test_demo_setup_creates_users_list_participants_and_a_private_credentials_file(tmp_path):
    result = trialdesk("serve", "--data-dir", str(tmp_path), "--demo", "--demo-participants", "12",
                       "--setup-only", data_dir=tmp_path)
    assert "allocation list commitment (SHA-256): " in result.stdout
    users_file = tmp_path / "demo-users.json"
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    users = json.loads(users_file.read_text())
    site_roles = {"investigator", "coordinator", "pharmacist"}
    # 9 trial-wide roles: the safety contact, the PI, quality and the supply manager (issue 18)...
    assert len(users) == 3 * len(site_roles) + 9
    assert {(u["role"], u["site"]) for u in users if u["role"] in site_roles} == {
        (role, site) for role in site_roles for site in ("CO-01", "CO-02", "CO-03")}
    assert all(len(u["password"]) >= 12 and u["password"] in result.stdout for u in users)
    counts = json.loads(result.stdout.split("demo participants: ")[1].splitlines()[0])
    assert counts["screened"] == 12 and 0 < counts["randomized"] < 12
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    listed = json.loads(trialdesk("users", "list", "--json", "--data-dir", str(tmp_path),
                                  data_dir=tmp_path).stdout)
    assert len(listed["users"]) == len(users)
    verify = json.loads(trialdesk("audit", "verify", "--json", "--data-dir", str(tmp_path),
                                  data_dir=tmp_path).stdout)
    assert verify["ok"] and verify["records"] > 12


def test_users_create_checks_role_and_site(tmp_path):
    bad = trialdesk("users", "create", "--username", "ana", "--role", "investigator",
                    "--data-dir", str(tmp_path), data_dir=tmp_path, check=False)
    assert bad.returncode == 2 and "--site" in bad.stderr
    unknown = trialdesk("users", "create", "--username", "ana", "--role", "sponsor",
                        "--data-dir", str(tmp_path), data_dir=tmp_path, check=False)
    assert unknown.returncode == 2 and "--role" in unknown.stderr
    no_address = trialdesk("users", "create", "--username", "ana", "--role", "dsmb_statistician",
                           "--email", "ana", "--data-dir", str(tmp_path), data_dir=tmp_path,
                           check=False)
    assert no_address.returncode == 2 and "--email" in no_address.stderr
    created = trialdesk("users", "create", "--username", "ana", "--role", "investigator",
                        "--site", "CO-02", "--email", "ana@example.org", "--json",
                        "--data-dir", str(tmp_path), data_dir=tmp_path)
    assert json.loads(created.stdout)["site"] == "CO-02"
