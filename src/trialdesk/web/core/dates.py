"""The window a date of trial data lies in, for the actions that take a date.

From the protocol's earliest date of trial data (``Protocol.earliest_date()``: the registry's
start date) to today on the trial's clock (``clock.today()``), the rule form dates follow
(``protocol.validation.date_window_rule``); an action may allow a later ``latest`` (a day of
leeway for a site ahead of UTC, or none at all for a meeting being scheduled). 0001-01-01 is a
typo, and a date the window refuses never reaches arithmetic that would overflow.
"""

from __future__ import annotations

import datetime as dt

from trialdesk.protocol.validation import date_window_rule
from trialdesk.web.core import clock
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.protocol import get_protocol


def check_trial_date(field: str, day: dt.date, *, latest: dt.date | None = None) -> dt.date:
    """Return ``day`` if it lies from the protocol's earliest date to ``latest`` (default: today
    on the trial's clock), both included; else raise InvalidInput naming ``field`` and the rule."""
    rule = date_window_rule(day, get_protocol().earliest_date(), latest or clock.today())
    if rule is not None:
        raise InvalidInput(field, rule)
    return day


def check_trial_moment(field: str, moment: dt.datetime, *, latest: dt.date | None = None
                       ) -> dt.datetime:
    """Return the aware ``moment`` in UTC if its date where it was written lies in the window
    (:func:`check_trial_date`); the date is checked before the conversion, so year 1 or 9999
    with an offset is refused rather than overflowing. A naive ``moment`` is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(field, "must name its time zone (e.g. 2026-01-06T10:00-05:00)")
    check_trial_date(field, moment.date(), latest=latest)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # only with no later bound: 9999-12-31T23:00-05:00
        raise InvalidInput(field, "must fall within the years 1 to 9999 in UTC") from None
