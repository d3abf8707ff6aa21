"""Fixtures of the data-capture tests, on top of the trial server's ``trial`` fixture."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import ApiClient
from enrollment import randomize


class CaptureTrial:
    """The loaded trial with API clients by username and helpers to randomize participants."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self._apis: dict[str, ApiClient] = {}

    def api(self, username: str) -> ApiClient:
        if username not in self._apis:
            self._apis[username] = ApiClient(self.users[username])
        return self._apis[username]

    def randomize(self, site: str = "co-01", *, days_ago: int = 0) -> str:
        """Screen, consent and randomize a patient at ``site``; return the participant code."""
        code, _ = randomize(self.api(f"investigator-{site}"), days_ago=days_ago)
        return code


@pytest.fixture
def ct(trial: Any) -> CaptureTrial:
    """The trial (every user's password is ``trial_factory.PASSWORD``), API clients kept."""
    return CaptureTrial(trial.users)
