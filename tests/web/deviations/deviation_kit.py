"""Helpers of the deviation log tests: a report body, the log's URLs, an arm's words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from days import site_today

LOG = "/api/v1/deviations"
# what a blinded site's account of a wrong kit would say: the arm's label, from the protocol
ARM_WORDS = "Standard therapy plus MSC"


def today() -> str:
    """Today in the sites' calendar (Bogota), as the log judges dates: before 05:00 UTC it is
    the day before the UTC date."""
    return site_today("CO-01").isoformat()


def days_ago(days: int) -> str:
    return (site_today("CO-01") - dt.timedelta(days=days)).isoformat()


def body(participant: str | None = None, **values: Any) -> dict[str, Any]:
    """A valid report of a minor visit-window deviation, with ``values`` changed."""
    report = {"category": "visit_window", "severity": "minor",
              "description": "Day 7 visit done on day 10", "occurred_on": days_ago(2),
              "discovery_method": "site_self_report", **values}
    if participant is not None:
        report["participant"] = participant
    return report


def one(trial: Any, username: str, deviation_id: int) -> dict[str, Any]:
    response = trial.api(username).get(f"{LOG}/{deviation_id}")
    assert response.status_code == 200, response.content
    return response.json()
