"""Fixtures of the trial server tests: a loaded trial with one user per role per site."""

from __future__ import annotations

from typing import Any

import pytest
from trial_fixtures import FAST_HASHERS, PASSWORD, Trial


@pytest.fixture
def trial(db: Any, settings: Any) -> Trial:
    """Sites, one user per role per site (``<role>-co-01`` ...), and the committed list."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    from django.contrib.auth import get_user_model

    from trialdesk.web.trials import actions
    from trialdesk.web.trials.demo import demo_usernames

    actions.do_load_sites(actor="test")
    for username, role, site in demo_usernames():
        actions.do_create_user(actor="test", username=username, role=role, site=site,
                               password=PASSWORD)
    actions.do_commit_allocation_list(actor="test", seed=b"test-seed-0123456789abcdef")
    users = {user.username: user for user in get_user_model().objects.all()}
    return Trial(users)
