"""Safety reporting clocks: when each report is due, and whether it is late.

The rules (calendar days and hours; weekends and public holidays are *not* skipped):

- **SAE, investigator -> sponsor**: every serious adverse event within 24 hours of the
  investigator obtaining knowledge of it. Source: Regulation (EU) No 536/2014, Article 41(2)
  ("without undue delay but not later than within 24 hours of obtaining knowledge of the
  events"); ICH E6(R2) 4.11.1 asks for "immediately".
- **SUSAR, sponsor -> authorities**: ICH E2A (1994), section III.A.1: a fatal or
  life-threatening suspected unexpected serious adverse reaction "as soon as possible but no later
  than 7 calendar days after first knowledge by the sponsor", "followed by as complete a report as
  possible within 8 additional calendar days"; III.A.2: all other SUSARs "no later than 15
  calendar days after first knowledge". Regulation 536/2014, Article 42(2)(a)-(b), keeps 7 and 15
  days.
- **Day 0** is the calendar day on which the sponsor first holds the minimum information for a
  valid report (an identifiable patient, a reporter, a reaction, a suspected product): European
  Commission guidance CT-3 (2011/C 172/01), section 7 (time frames for SUSAR reports). The 7-day
  report is due on day 0 + 7, its follow-up on day 0 + 7 + 8 = day 0 + 15, the 15-day report on
  day 0 + 15.

A calendar-day deadline ends at the end of the due day *where the sponsor works* (``tz``): the
last microsecond of that local day, kept as an aware UTC datetime, so storing, comparing and
showing it never depend on the server's zone. Every datetime taken in must be aware: a naive
one is ambiguous by up to a day across the Americas, which is exactly the error a clock exists
to prevent, so it is refused with a ValueError naming the argument.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = datetime.UTC

#: Investigator -> sponsor, every SAE (Regulation 536/2014, Art. 41(2)).
SAE_WINDOW = datetime.timedelta(hours=24)
#: Fatal or life-threatening SUSAR, initial report (ICH E2A III.A.1).
SUSAR_FATAL_DAYS = 7
#: Its follow-up, counted from the 7-day due day (ICH E2A III.A.1: "8 additional calendar days").
SUSAR_FOLLOW_UP_DAYS = 8
#: Any other SUSAR (ICH E2A III.A.2).
SUSAR_OTHER_DAYS = 15


class ReportKind(StrEnum):
    """The reports a clock runs for; the values are stored by the web layer."""

    SAE_TO_SPONSOR = "sae_to_sponsor"
    SUSAR_7_DAY = "susar_7_day"
    SUSAR_FOLLOW_UP_8_DAY = "susar_follow_up_8_day"
    SUSAR_15_DAY = "susar_15_day"


@dataclass(frozen=True)
class Deadline:
    """One report's due instant (aware, UTC) and the rule it came from, in words.

    ``basis`` is shown to people next to the date, so a due date is never a bare number.
    """

    kind: ReportKind
    due: datetime.datetime
    basis: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ReportKind(self.kind))
        _require_aware(self.due, "due")
        # the same instant, held in UTC so that equal deadlines compare and print equal
        object.__setattr__(self, "due", self.due.astimezone(UTC))


def _require_aware(value: object, name: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{name}: expected a datetime.datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"{name}: a naive datetime ({value.isoformat()}) is refused; give a time-zone-aware "
            "datetime (e.g. with tzinfo=datetime.UTC)"
        )
    return value


def _zone(tz: str) -> ZoneInfo:
    if not isinstance(tz, str) or not tz:
        raise ValueError(
            f"tz: expected an IANA time-zone name such as 'America/Bogota', got {tz!r}"
        )
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"tz: unknown time zone {tz!r} (use an IANA name such as 'America/Bogota')"
        ) from error


def in_time_zone(at: datetime.datetime, tz: str) -> datetime.datetime:
    """The same instant as local time in ``tz`` (for showing; storage stays UTC).

    A site in Colombia sees ``America/Bogota``; the calendar day there, not in UTC, is the day
    people mean when they say "today".
    """
    _require_aware(at, "at")
    return at.astimezone(_zone(tz))


def end_of_day(day: datetime.date, tz: str = "UTC") -> datetime.datetime:
    """The last microsecond of calendar day ``day`` in ``tz``, as an aware UTC datetime.

    A report due "on day N" is in time until that local day is over.
    """
    if isinstance(day, datetime.datetime) or not isinstance(day, datetime.date):
        raise TypeError(f"day: expected a datetime.date, got {type(day).__name__}")
    local = datetime.datetime.combine(day, datetime.time.max, tzinfo=_zone(tz))
    return local.astimezone(UTC)


def sae_deadline(aware_at: datetime.datetime) -> Deadline:
    """Investigator -> sponsor: 24 hours after the investigator became aware of the SAE.

    An hour clock, not a calendar-day one (Regulation 536/2014, Art. 41(2)), so the due instant
    does not depend on any time zone.
    """
    _require_aware(aware_at, "aware_at")
    return Deadline(
        kind=ReportKind.SAE_TO_SPONSOR,
        due=aware_at.astimezone(UTC) + SAE_WINDOW,
        basis="24 hours after the investigator became aware (Regulation (EU) 536/2014 Art. 41(2))",
    )


def susar_deadlines(
    day0: datetime.date, *, fatal_or_life_threatening: bool, tz: str = "UTC"
) -> list[Deadline]:
    """Sponsor -> authorities: the SUSAR reports due after day 0, in order of due date.

    Fatal or life-threatening: the initial report by the end of day 0 + 7 and its follow-up by
    the end of day 0 + 7 + 8; otherwise one report by the end of day 0 + 15 (ICH E2A III.A).
    ``tz`` is the zone whose calendar the sponsor's day 0 was counted in.
    """
    if isinstance(day0, datetime.datetime) or not isinstance(day0, datetime.date):
        raise ValueError(
            f"day0: expected a calendar date (datetime.date), got {type(day0).__name__}; "
            "day 0 is the day the sponsor first had the minimum information"
        )
    if not isinstance(fatal_or_life_threatening, bool):
        raise ValueError("fatal_or_life_threatening: expected True or False")
    _zone(tz)
    if fatal_or_life_threatening:
        first = day0 + datetime.timedelta(days=SUSAR_FATAL_DAYS)
        follow = first + datetime.timedelta(days=SUSAR_FOLLOW_UP_DAYS)
        return [
            Deadline(
                kind=ReportKind.SUSAR_7_DAY,
                due=end_of_day(first, tz),
                basis=f"7 calendar days after day 0 ({day0.isoformat()}), fatal or "
                "life-threatening SUSAR (ICH E2A III.A.1)",
            ),
            Deadline(
                kind=ReportKind.SUSAR_FOLLOW_UP_8_DAY,
                due=end_of_day(follow, tz),
                basis=f"8 further calendar days after the 7-day report's due day "
                f"({first.isoformat()}) (ICH E2A III.A.1)",
            ),
        ]
    due = day0 + datetime.timedelta(days=SUSAR_OTHER_DAYS)
    return [
        Deadline(
            kind=ReportKind.SUSAR_15_DAY,
            due=end_of_day(due, tz),
            basis=f"15 calendar days after day 0 ({day0.isoformat()}), SUSAR neither fatal nor "
            "life-threatening (ICH E2A III.A.2)",
        )
    ]


def overdue(
    deadline: Deadline, now: datetime.datetime, done_at: datetime.datetime | None = None
) -> bool:
    """Whether a report is late.

    Done (``done_at`` given): late if it was done after the due instant, whatever ``now`` is,
    so a late report stays marked late after it is sent. Not done: late once ``now`` is past due.
    A report done exactly at the due instant is in time.
    """
    if not isinstance(deadline, Deadline):
        raise TypeError(f"deadline: expected a Deadline, got {type(deadline).__name__}")
    _require_aware(now, "now")
    if done_at is not None:
        _require_aware(done_at, "done_at")
        return done_at > deadline.due
    return now > deadline.due
