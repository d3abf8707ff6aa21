"""Times on the pages in the reader's zone with its offset (the sites' zone, America/Bogota,
UTC-5), dates as the reader's language writes them; the API stays in UTC (issue 20)."""

from __future__ import annotations

import datetime as dt
import re

from enrollment import screen
from login import signed_in_client

from trialdesk.web.core.clock import SimulatedClock, use_clock

# 03:30 UTC on a later day is 22:30 the evening before in Bogota: the date differs too
LATE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
    hour=3, minute=30, second=0, microsecond=0)
BOGOTA_DAY = (LATE - dt.timedelta(hours=5)).date()


def test_a_time_after_midnight_utc_shows_on_the_evening_before_in_bogota(trial):
    with use_clock(SimulatedClock(LATE)):
        code = screen(trial.api("coordinator-co-01"))["code"]
        english = signed_in_client(trial.users["monitor"], "en").get("/audit/").content.decode()
        spanish = signed_in_client(trial.users["monitor"], "es").get("/audit/").content.decode()
        api = trial.api("admin").get("/api/v1/audit?after=0&limit=1000").json()
    screened = next(r for r in api if r["action"] == "screen" and r["object_id"] == code)
    assert screened["at"].startswith(LATE.date().isoformat() + "T03:30")  # ISO 8601, UTC
    us = BOGOTA_DAY.strftime("%m/%d/%Y")
    es = BOGOTA_DAY.strftime("%d/%m/%Y")
    assert re.search(rf"<td>{re.escape(us)} 22:30:\d\d -05:00</td>", english), us
    assert re.search(rf"<td>{re.escape(es)} 22:30:\d\d -05:00</td>", spanish), es
    assert f"{LATE.date().strftime('%m/%d/%Y')} 03:30" not in english
