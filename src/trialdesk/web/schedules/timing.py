"""Intervals as the operator writes them (``30m``, ``24h``, ``7d``) and the next due time."""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
SHORTEST = dt.timedelta(minutes=5)
LONGEST = dt.timedelta(days=366)  # a year and a day: beyond, an interval is a typing slip


def parse_interval(text: str) -> dt.timedelta:
    """``30m``, ``24h``, ``7d`` or ``2w`` as a timedelta; ValueError for anything else, for
    less than five minutes (a backup takes longer than that on a large database) or more than
    a year and a day."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"{text!r}: give a number and a unit, m, h, d or w (24h, 7d)")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > LONGEST.total_seconds():
        raise ValueError(f"{text!r}: at most {LONGEST.days} days")
    every = dt.timedelta(seconds=seconds)
    if every < SHORTEST:
        raise ValueError(f"{text!r}: at least {int(SHORTEST.total_seconds() // 60)} minutes")
    return every


def next_due_after(due: dt.datetime, every: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """The first due time of the series ``due + k * every`` later than ``now``.

    The due times missed while no worker ran are skipped, not caught up: a server down for
    three days makes one backup on its return, not three at once.
    """
    if due > now:
        return due
    return due + every * ((now - due) // every + 1)


def describe_interval(seconds: int) -> str:
    """The largest unit that divides ``seconds`` evenly (``86400`` -> ``1d``)."""
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
