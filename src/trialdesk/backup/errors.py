"""The refusals of the backup format: each carries a message for the person at the terminal."""

from __future__ import annotations


class BackupError(Exception):
    """A backup cannot be written, read or restored; ``str()`` says why, in plain words."""


class NotABackupError(BackupError):
    """The file does not start like a trialdesk backup."""


class WrongKeyError(BackupError):
    """The passphrase or key file does not open this backup."""


class DamagedBackupError(BackupError):
    """The file was altered, truncated or reordered after it was written."""
