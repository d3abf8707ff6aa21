"""Fixtures of the integrity tests: the loaded trial, API clients by user, the write scenarios."""

from __future__ import annotations

from typing import Any

import pytest
from integrity_kit import Scenarios


@pytest.fixture
def scenarios(trial: Any) -> Scenarios:
    """The trial (every user's password is ``trial_factory.PASSWORD``), one builder per write."""
    return Scenarios(trial.users)
