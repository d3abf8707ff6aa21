"""Reading the server as it will be on a later day.

A blinded reader of the audit trail sees a day's pharmacy records only once that day (UTC) is over;
a test that wrote them reads inside ``days_later()``: a simulated clock ahead of the real one.

A site's "today" is its own calendar day (the protocol's time zone of the site): between 00:00 and
05:00 UTC a site in Bogota is still on yesterday, and the server refuses a UTC "today" as a date in
the future. A test sending a site's date of today takes it from ``site_today()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from trialdesk.web.core.clock import SimulatedClock, use_clock
from trialdesk.web.core.clock import now as server_now
from trialdesk.web.safety.clocks import local


@contextmanager
def days_later(days: int = 1) -> Iterator[SimulatedClock]:
    """Install a clock ``days`` ahead for the block (read in it; records written in it would be
    dated in the future)."""
    with use_clock(SimulatedClock(timezone.now() + dt.timedelta(days=days))) as clock:
        yield clock


def site_today(site_code: str = "CO-01") -> dt.date:
    """Today in the site's calendar, as the server judges it (its installed clock, the protocol's
    time zone of the site)."""
    return local(server_now(), site_code).date()
