"""``trialdesk users add-role`` and ``deactivate-role``: a second membership for an existing
user at the command line, under the same rules as the pages (issue 20). The actions' other
refusals are tested in process (tests/web/accounts/test_accounts_memberships.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
from live_server import trialdesk


def test_users_add_a_second_role_refuse_an_unblinded_one_and_deactivate_one(tmp_path):
    def users(*args: str, check: bool = True):
        return trialdesk("users", *args, "--data-dir", str(tmp_path), data_dir=tmp_path,
                         check=check)

    users("create", "--username", "ana", "--role", "investigator", "--site", "CO-01")
    added = users("add-role", "--username", "ana", "--role", "coordinator", "--site", "CO-02",
                  "--json")
    assert json.loads(added.stdout) == {"username": "ana", "role": "coordinator",
                                        "site": "CO-02"}

    unblinded = users("add-role", "--username", "ana", "--role", "pharmacist", "--site",
                      "CO-01", check=False)
    assert unblinded.returncode == 2 and "--role" in unblinded.stderr
    assert ("the role pharmacist sees arms and the role investigator is blinded"
            in " ".join(unblinded.stderr.split()))

    users("deactivate-role", "--username", "ana", "--role", "coordinator", "--site", "CO-02",
          "--reason", "Left the CO-02 team.")
    listed = json.loads(users("list", "--json").stdout)["users"]
    assert [row for row in listed if row["username"] == "ana"] == [
        {"username": "ana", "role": "investigator", "site": "CO-01", "active": True},
        {"username": "ana", "role": "coordinator", "site": "CO-02", "active": False}]
