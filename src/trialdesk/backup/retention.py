"""Scheduled backups: files named by their UTC time in one folder, the oldest pruned past N."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

PREFIX = "trialdesk-"
SUFFIX = ".tdbackup"
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
NAME = re.compile(rf"^{PREFIX}\d{{8}}T\d{{6}}Z{re.escape(SUFFIX)}$")


def scheduled_name(now: datetime | None = None) -> str:
    """``trialdesk-YYYYMMDDTHHMMSSZ.tdbackup`` for ``now`` (default: the current UTC time)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{PREFIX}{moment.strftime(TIME_FORMAT)}{SUFFIX}"


def scheduled_backups(folder: Path) -> list[Path]:
    """The scheduled backups in ``folder``, oldest first (their names sort by time)."""
    return sorted(path for path in folder.iterdir() if NAME.match(path.name) and path.is_file())


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest scheduled backups beyond the newest ``keep``; return those deleted.

    Only files named like a scheduled backup are touched: anything else in the folder stays.
    """
    backups = scheduled_backups(folder)
    doomed = backups[: max(len(backups) - keep, 0)]
    for path in doomed:
        path.unlink()
    return doomed
