"""``trialdesk users reset-two-factor``: the operator removes a lost authenticator; its refusals
name the option or say why. The reset itself is tested in process
(tests/web/accounts/test_accounts_two_factor.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
from live_server import trialdesk


def test_reset_two_factor_refuses_a_short_reason_and_a_user_without_authenticator(tmp_path):
    def users(*args: str):
        return trialdesk("users", *args, "--data-dir", str(tmp_path), data_dir=tmp_path,
                         check=False)

    assert users("create", "--username", "ana", "--role", "pharmacist", "--site",
                 "CO-01").returncode == 0
    short = users("reset-two-factor", "ana", "--reason", "lost")
    assert short.returncode == 2 and "--reason" in short.stderr and "10 characters" in short.stderr
    none = users("reset-two-factor", "ana", "--reason", "Phone lost on the ward.")
    assert none.returncode == 1 and "ana has no authenticator to reset" in none.stderr
    unknown = users("reset-two-factor", "nobody", "--reason", "Phone lost on the ward.")
    assert unknown.returncode == 1 and "no user nobody" in unknown.stderr
