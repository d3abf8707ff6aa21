"""Fixtures of the data-capture tests, on top of the trial server's ``trial`` fixture."""

from __future__ import annotations

from typing import Any

import pytest
from capture_testkit import PASSWORD, Api, randomize


class CaptureTrial:
    """The loaded trial with API clients by username and helpers to randomize participants."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self._apis: dict[str, Api] = {}

    def api(self, username: str) -> Api:
        if username not in self._apis:
            self._apis[username] = Api(self.users[username])
        return self._apis[username]

    def randomize(self, site: str = "co-01", *, days_ago: int = 0) -> str:
        return randomize(self.api(f"investigator-{site}"), days_ago=days_ago)


@pytest.fixture
def ct(trial: Any) -> CaptureTrial:
    """The trial, with every user's password set to the capture tests' one (fast hasher)."""
    for user in trial.users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return CaptureTrial(trial.users)
