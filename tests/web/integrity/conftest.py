"""Fixtures of the integrity tests: the loaded trial, API clients by user, the write scenarios."""

from __future__ import annotations

from typing import Any

import pytest
from integrity_kit import PASSWORD, Scenarios


@pytest.fixture
def scenarios(trial: Any) -> Scenarios:
    """The trial with every user's password known (fast hasher), and one builder per write."""
    for user in trial.users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return Scenarios(trial.users)
