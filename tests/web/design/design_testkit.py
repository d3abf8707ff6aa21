"""The design tests' names for the shared helpers (tests/helpers/): users named by their role,
signed-in clients, and users written without an audit record for transactional tests."""

from __future__ import annotations

from login import signed_in_client as client_for
from login import signed_in_client_without_login_signal as client_without_login_signal
from trial_factory import FAST_HASHERS, make_trial_wide_users_without_audit
from trial_factory import make_users as _make_users

__all__ = ["FAST_HASHERS", "client_for", "client_without_login_signal",
           "make_trial_wide_users_without_audit", "make_users"]


def make_users(roles: dict[str, str | None]) -> dict[str, object]:
    """Load the sites and create one user per ``{role: site}``, named by the role; return every
    user by name."""
    return _make_users([(role, role, site) for role, site in roles.items()])
