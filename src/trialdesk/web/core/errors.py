"""The errors actions and access checks raise; views and the API turn them into responses."""

from __future__ import annotations


class NotFound(Exception):
    """The record does not exist *or* the user may not see it: one error, so it confirms nothing."""


class Forbidden(Exception):
    """The user's role may not do this at all (no record is involved)."""


class Conflict(Exception):
    """The request is valid but the trial's state forbids it (ineligible, already randomized...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class DatabaseLocked(Conflict):
    """The database is locked: no trial data may change (the pages answer 409, never redirect)."""

    def __init__(self) -> None:
        super().__init__("database_locked", "the database is locked: no trial data may change")


class InvalidInput(Exception):
    """A value that breaks a rule; ``field`` names it, ``rule`` says what it must be."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule
