"""The event queue of a simulation: each event runs at its time, the simulated clock set to it."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from trialdesk.web.core.clock import SimulatedClock


@dataclass(order=True)
class _Event:
    at: dt.datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class Timeline:
    """Events in time order; running one sets the clock to its time (never backwards)."""

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self._events: list[_Event] = []
        self._order = itertools.count()

    def at(self, when: dt.datetime, run: Callable[[], None]) -> None:
        """Run ``run`` at ``when`` (at once, after the events already due, if ``when`` is past)."""
        heapq.heappush(self._events, _Event(max(when, self.clock.now()), next(self._order), run))

    def after(self, delay: dt.timedelta, run: Callable[[], None]) -> None:
        self.at(self.clock.now() + delay, run)

    def __len__(self) -> int:
        return len(self._events)

    def run_until(self, done: Callable[[], bool] = lambda: False,
                  until: dt.datetime | None = None) -> None:
        """Run events in order until none is left, ``done()`` holds, or the next is after
        ``until``; the events not run stay queued."""
        while self._events and not done():
            if until is not None and self._events[0].at > until:
                return
            event = heapq.heappop(self._events)
            self.clock.set(event.at)
            event.run()

    def drop(self) -> int:
        """Forget the queued events; return how many there were."""
        count = len(self._events)
        self._events.clear()
        return count
