"""Reading the server as it will be on a later day.

A blinded reader of the audit trail sees a day's pharmacy records only once that day (UTC) is over;
a test that wrote them reads inside ``days_later()``: a simulated clock ahead of the real one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from trialdesk.web.core.clock import SimulatedClock, use_clock


@contextmanager
def days_later(days: int = 1) -> Iterator[SimulatedClock]:
    """Install a clock ``days`` ahead for the block (read in it; records written in it would be
    dated in the future)."""
    with use_clock(SimulatedClock(timezone.now() + dt.timedelta(days=days))) as clock:
        yield clock
