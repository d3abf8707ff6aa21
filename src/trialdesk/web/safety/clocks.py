"""Each case's reporting clocks: due dates (kept in UTC, shown in the site's time zone), overdue
flags and the next required actions, from the core's rules (``trialdesk.safety.clocks`` and
``trialdesk.safety.rules``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialdesk.safety import rules
from trialdesk.safety.clocks import (
    SUSAR_FATAL_DAYS,
    ReportKind,
    overdue,
    sae_deadline,
    susar_deadlines,
)
from trialdesk.safety.clocks import in_time_zone as _in_time_zone
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol

LABELS = {
    ReportKind.SAE_TO_SPONSOR: "SAE report to the sponsor (24 h)",
    ReportKind.SUSAR_7_DAY: "SUSAR report to the authorities (7 days)",
    ReportKind.SUSAR_FOLLOW_UP_8_DAY: "SUSAR follow-up report (8 more days)",
    ReportKind.SUSAR_15_DAY: "SUSAR report to the authorities (15 days)",
}


def site_time_zone(site_code: str) -> str:
    """The protocol's time zone of the site (UTC when the protocol names none)."""
    site = next((s for s in get_protocol().sites if s.code == site_code), None)
    return getattr(site, "timezone", None) or "UTC"


def local(at: dt.datetime, site_code: str) -> dt.datetime:
    """``at`` in the site's time zone (for showing; storage stays UTC)."""
    return _in_time_zone(at, site_time_zone(site_code))


def _done_at(event: Any, kind: ReportKind) -> dt.datetime | None:
    if kind == ReportKind.SAE_TO_SPONSOR:
        return event.reported_to_sponsor_at
    if kind == ReportKind.SUSAR_FOLLOW_UP_8_DAY:
        return event.susar_follow_up_reported_at
    return event.susar_reported_at


def day0(event: Any) -> dt.date:
    """Day 0 of the SUSAR clocks: the sponsor's first knowledge (the recorded date, else the day
    the case reached the sponsor, else the investigator's awareness), in the site's calendar."""
    if event.sponsor_aware_date is not None:
        return event.sponsor_aware_date
    first = event.reported_to_sponsor_at or event.investigator_aware_at
    return local(first, event.site.code).date()


def basis_words(kind: ReportKind, day_zero: dt.date | None) -> str:
    """Why a report is due when it is, in the reader's language (the core's ``basis`` is the
    API's English)."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    if kind == ReportKind.SAE_TO_SPONSOR or day_zero is None:
        return _("24 hours after the investigator became aware (Regulation (EU) 536/2014 "
                 "Art. 41(2))")
    shown = date_format(day_zero, "SHORT_DATE_FORMAT")
    if kind == ReportKind.SUSAR_7_DAY:
        return _("7 calendar days after day 0 (%(day0)s), fatal or life-threatening SUSAR "
                 "(ICH E2A III.A.1)") % {"day0": shown}
    if kind == ReportKind.SUSAR_FOLLOW_UP_8_DAY:
        first = day_zero + dt.timedelta(days=SUSAR_FATAL_DAYS)
        return _("8 further calendar days after the 7-day report's due day (%(due)s) "
                 "(ICH E2A III.A.1)") % {"due": date_format(first, "SHORT_DATE_FORMAT")}
    return _("15 calendar days after day 0 (%(day0)s), SUSAR neither fatal nor "
             "life-threatening (ICH E2A III.A.2)") % {"day0": shown}


def case_deadlines(event: Any, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The reports due for this case, each with its due instant (UTC and the site's local time),
    the rule it comes from, when it was done and whether it is (or was) late."""
    facts = event.facts()
    if not facts.serious:
        return []
    now = now or clock.now()
    zone = site_time_zone(event.site.code)
    deadlines = [sae_deadline(event.investigator_aware_at)]
    day_zero = day0(event) if facts.susar else None
    if facts.susar:
        deadlines += susar_deadlines(day_zero,
                                     fatal_or_life_threatening=facts.fatal_or_life_threatening,
                                     tz=zone)
    shown = []
    for deadline in deadlines:
        done = _done_at(event, deadline.kind)
        due_local = _in_time_zone(deadline.due, zone)
        shown.append({
            "kind": str(deadline.kind),
            "label": LABELS[deadline.kind],
            "basis": deadline.basis,
            "basis_words": basis_words(deadline.kind, day_zero),
            "due": deadline.due,
            "due_local": due_local.strftime("%Y-%m-%d %H:%M %Z"),
            "time_zone": zone,
            "done_at": done,
            "overdue": overdue(deadline, now, done),
        })
    return shown


def case_clock(event: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything a case page shows of its clocks: deadlines, overdue flag, next actions."""
    deadlines = case_deadlines(event, now)
    return {
        "deadlines": deadlines,
        "overdue": any(d["overdue"] and d["done_at"] is None for d in deadlines),
        "next_actions": rules.next_actions(event.facts()),
        "time_zone": site_time_zone(event.site.code),
    }
