"""The one clock every action takes the time from.

By default it is the real clock (``django.utils.timezone.now``). A simulation installs a
:class:`SimulatedClock` with :func:`use_clock`, so a year of a trial runs in minutes through the
same writers real users drive, and every timestamp (records, audit trail, "today" of the visit
schedule) is consistent. The installed clock is process-wide: one simulation per process, driven by
one thread (a server's request threads would all see the simulated time while it is installed).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.utils import timezone


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class RealClock:
    """The wall clock, as Django gives it (aware, UTC)."""

    def now(self) -> dt.datetime:
        return timezone.now()


class SimulatedClock:
    """A clock that stands still until told to move (``advance``, ``set``), never backwards, so
    the audit trail's times never decrease; records written at one instant keep their order by
    their sequence numbers."""

    def __init__(self, start: dt.datetime) -> None:
        self._current = _aware(start)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        return self._current

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move forward by ``delta`` (never backwards); return the new time."""
        if delta < dt.timedelta(0):
            raise ValueError("a simulated clock does not go backwards")
        with self._lock:
            self._current += delta
            return self._current

    def set(self, when: dt.datetime) -> dt.datetime:
        """Move to ``when``; a time before the current one is refused."""
        when = _aware(when)
        with self._lock:
            if when < self._current:
                raise ValueError(f"a simulated clock does not go backwards ({when} < "
                                 f"{self._current})")
            self._current = when
            return self._current


def _aware(when: dt.datetime) -> dt.datetime:
    return when if timezone.is_aware(when) else when.replace(tzinfo=dt.UTC)


_REAL = RealClock()
_installed: Clock = _REAL
_install_lock = threading.Lock()


def now() -> dt.datetime:
    """The current time of the installed clock (aware)."""
    return _installed.now()


def today() -> dt.date:
    """The current date (UTC, as ``timezone.now().date()``)."""
    return now().date()


def current_clock() -> Clock:
    """The installed clock."""
    return _installed


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the duration of the block (process-wide), then restore the previous."""
    global _installed
    with _install_lock:
        previous, _installed = _installed, clock
    try:
        yield clock
    finally:
        with _install_lock:
            _installed = previous
