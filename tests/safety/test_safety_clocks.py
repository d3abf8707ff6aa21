"""Reporting clocks (trialdesk.safety.clocks): ICH E2A III.A; Regulation (EU) 536/2014 Art. 41-42.

Expected dates are counted by hand on the calendar in each test's comment, not recomputed with
the module's own arithmetic.
"""

from __future__ import annotations

import datetime as dt

import pytest

from trialdesk.safety.clocks import (
    Deadline,
    ReportKind,
    end_of_day,
    in_time_zone,
    overdue,
    sae_deadline,
    susar_deadlines,
)

UTC = dt.UTC
BOGOTA = "America/Bogota"
LAST = dt.time(23, 59, 59, 999999)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# -- SAE: investigator -> sponsor, 24 hours ------------------------------------------------------


def test_sae_due_24_hours_after_awareness():
    deadline = sae_deadline(utc(2026, 3, 1, 3, 30))
    assert deadline.kind is ReportKind.SAE_TO_SPONSOR
    assert deadline.due == utc(2026, 3, 2, 3, 30)
    assert deadline.due.tzinfo == UTC
    assert "24 hours" in deadline.basis and "aware" in deadline.basis


def test_sae_awareness_in_local_time_is_the_same_instant():
    # 22:30 in Bogota (UTC-5) on 28 February is 03:30 UTC on 1 March
    local = dt.datetime(2026, 2, 28, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    deadline = sae_deadline(local)
    assert deadline.due == utc(2026, 3, 2, 3, 30)
    assert deadline.due.utcoffset() == dt.timedelta(0)


def test_sae_clock_runs_through_a_weekend_and_a_month_end():
    # Saturday 2026-01-31 18:00 UTC -> Sunday 2026-02-01 18:00 UTC (no business-day shift)
    deadline = sae_deadline(utc(2026, 1, 31, 18, 0))
    assert deadline.due == utc(2026, 2, 1, 18, 0)
    assert deadline.due.weekday() == 6


def test_sae_naive_awareness_refused_naming_the_argument():
    with pytest.raises(ValueError, match=r"aware_at.*naive"):
        sae_deadline(dt.datetime(2026, 3, 1, 3, 30))  # noqa: DTZ001
    with pytest.raises(TypeError, match="aware_at"):
        sae_deadline("2026-03-01T03:30Z")  # type: ignore[arg-type]


# -- SUSAR: sponsor -> authorities ---------------------------------------------------------------


def test_fatal_susar_7_day_and_follow_up_across_a_month_end():
    # day 0 = Wed 2026-01-28; +7 = 2026-02-04 (Jan has 31 days: 28+7 = 35 - 31 = 4 Feb);
    # follow-up 8 more days = 2026-02-12
    deadlines = susar_deadlines(dt.date(2026, 1, 28), fatal_or_life_threatening=True)
    assert [d.kind for d in deadlines] == [
        ReportKind.SUSAR_7_DAY,
        ReportKind.SUSAR_FOLLOW_UP_8_DAY,
    ]
    assert deadlines[0].due == dt.datetime.combine(dt.date(2026, 2, 4), LAST, tzinfo=UTC)
    assert deadlines[1].due == dt.datetime.combine(dt.date(2026, 2, 12), LAST, tzinfo=UTC)
    assert "7 calendar days" in deadlines[0].basis and "2026-01-28" in deadlines[0].basis
    assert "8 further" in deadlines[1].basis


def test_other_susar_15_days():
    # day 0 = 2026-01-28; +15 = 2026-02-12
    (deadline,) = susar_deadlines(dt.date(2026, 1, 28), fatal_or_life_threatening=False)
    assert deadline.kind is ReportKind.SUSAR_15_DAY
    assert deadline.due == dt.datetime.combine(dt.date(2026, 2, 12), LAST, tzinfo=UTC)
    assert "15 calendar days" in deadline.basis


def test_weekends_are_not_skipped():
    # day 0 = Saturday 2026-01-17; +15 = Sunday 2026-02-01, kept on the Sunday
    (deadline,) = susar_deadlines(dt.date(2026, 1, 17), fatal_or_life_threatening=False)
    assert deadline.due.date() == dt.date(2026, 2, 1)
    assert deadline.due.weekday() == 6
    # day 0 = Saturday 2026-12-19; +7 = Saturday 2026-12-26 (the day after Christmas, not moved)
    first, _ = susar_deadlines(dt.date(2026, 12, 19), fatal_or_life_threatening=True)
    assert first.due.date() == dt.date(2026, 12, 26)


def test_leap_year():
    # 2028 is a leap year: day 0 = 2028-02-22, +7 = 2028-02-29 (not 1 March)
    first, follow = susar_deadlines(dt.date(2028, 2, 22), fatal_or_life_threatening=True)
    assert first.due.date() == dt.date(2028, 2, 29)
    # 29 Feb + 8 = 8 March
    assert follow.due.date() == dt.date(2028, 3, 8)
    # day 0 = 2028-02-29 itself; +15 = 2028-03-15 (29 Feb + 15: 1 Mar is day 1)
    (other,) = susar_deadlines(dt.date(2028, 2, 29), fatal_or_life_threatening=False)
    assert other.due.date() == dt.date(2028, 3, 15)
    # the same day 0 a year without 29 February: 2026-02-22 + 7 = 2026-03-01
    first_2026, _ = susar_deadlines(dt.date(2026, 2, 22), fatal_or_life_threatening=True)
    assert first_2026.due.date() == dt.date(2026, 3, 1)


def test_due_day_ends_at_local_midnight_in_bogota():
    # Bogota is UTC-5 all year: the end of 2026-02-04 there is 2026-02-05 04:59:59.999999 UTC
    first, follow = susar_deadlines(dt.date(2026, 1, 28), fatal_or_life_threatening=True, tz=BOGOTA)
    assert first.due == utc(2026, 2, 5, 4, 59, 59, 999999)
    assert follow.due == utc(2026, 2, 13, 4, 59, 59, 999999)
    assert first.due.tzinfo == UTC
    shown = in_time_zone(first.due, BOGOTA)
    assert (shown.date(), shown.time()) == (dt.date(2026, 2, 4), LAST)


def test_time_zone_edge_awareness_after_utc_midnight_is_the_previous_day_in_bogota():
    aware = utc(2026, 3, 1, 3, 30)
    local = in_time_zone(aware, BOGOTA)
    assert local.date() == dt.date(2026, 2, 28)
    assert (local.hour, local.minute) == (22, 30)
    # day 0 counted in Bogota: 2026-02-28 + 7 = 2026-03-07, ending 2026-03-08 04:59:59 UTC;
    # counted in UTC it would be a day later (2026-03-08 23:59:59 UTC)
    first, _ = susar_deadlines(local.date(), fatal_or_life_threatening=True, tz=BOGOTA)
    assert first.due == utc(2026, 3, 8, 4, 59, 59, 999999)
    first_utc, _ = susar_deadlines(aware.date(), fatal_or_life_threatening=True)
    assert first_utc.due == utc(2026, 3, 8, 23, 59, 59, 999999)


def test_end_of_day_follows_daylight_saving_time():
    # New York moves to EDT (UTC-4) on 2026-03-08: that day ends at 03:59:59.999999 UTC on the 9th,
    # the day before (EST, UTC-5) at 04:59:59.999999 UTC on the 8th
    assert end_of_day(dt.date(2026, 3, 8), "America/New_York") == utc(2026, 3, 9, 3, 59, 59, 999999)
    assert end_of_day(dt.date(2026, 3, 7), "America/New_York") == utc(2026, 3, 8, 4, 59, 59, 999999)


def test_susar_inputs_validated():
    with pytest.raises(ValueError, match="day0"):
        susar_deadlines(utc(2026, 1, 28), fatal_or_life_threatening=True)  # a datetime, not a date
    with pytest.raises(ValueError, match="day0"):
        susar_deadlines("2026-01-28", fatal_or_life_threatening=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"tz.*Mars/Olympus"):
        susar_deadlines(dt.date(2026, 1, 28), fatal_or_life_threatening=True, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="fatal_or_life_threatening"):
        susar_deadlines(dt.date(2026, 1, 28), fatal_or_life_threatening="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        susar_deadlines(dt.date(2026, 1, 28), True)  # type: ignore[misc]  # keyword only


# -- overdue ------------------------------------------------------------------------------------


def test_overdue_open_report():
    deadline = sae_deadline(utc(2026, 3, 1, 3, 30))  # due 2026-03-02 03:30 UTC
    assert not overdue(deadline, utc(2026, 3, 2, 3, 29))
    assert not overdue(deadline, utc(2026, 3, 2, 3, 30))  # at the due instant: still in time
    assert overdue(deadline, utc(2026, 3, 2, 3, 30, 0, 1))


def test_overdue_done_report_judged_by_when_it_was_done():
    (deadline,) = susar_deadlines(dt.date(2026, 1, 28), fatal_or_life_threatening=False, tz=BOGOTA)
    # due end of 2026-02-12 in Bogota = 2026-02-13 04:59:59.999999 UTC
    in_time = utc(2026, 2, 13, 4, 0)  # 23:00 on the 12th in Bogota
    late = utc(2026, 2, 13, 5, 0)  # 00:00 on the 13th in Bogota
    months_later = utc(2026, 6, 1)
    assert not overdue(deadline, months_later, done_at=in_time)
    assert not overdue(deadline, months_later, done_at=utc(2026, 2, 13, 4, 59, 59, 999999))
    assert overdue(deadline, months_later, done_at=late)
    assert overdue(deadline, months_later)


def test_overdue_refuses_naive_times():
    deadline = sae_deadline(utc(2026, 3, 1, 3, 30))
    with pytest.raises(ValueError, match="now"):
        overdue(deadline, dt.datetime(2026, 3, 3))  # noqa: DTZ001
    with pytest.raises(ValueError, match="done_at"):
        overdue(deadline, utc(2026, 3, 3), done_at=dt.datetime(2026, 3, 2))  # noqa: DTZ001


def test_in_time_zone_validates():
    with pytest.raises(ValueError, match="at"):
        in_time_zone(dt.datetime(2026, 3, 1, 3, 30), BOGOTA)  # noqa: DTZ001
    with pytest.raises(ValueError, match="Nowhere/Town"):
        in_time_zone(utc(2026, 3, 1), "Nowhere/Town")


def test_deadline_holds_utc_and_accepts_stored_kind_values():
    # the web layer rebuilds deadlines from stored values: a kind string and an aware datetime
    local_due = dt.datetime(2026, 2, 4, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    deadline = Deadline(kind="susar_7_day", due=local_due, basis="x")  # type: ignore[arg-type]
    assert deadline.kind is ReportKind.SUSAR_7_DAY
    assert deadline.due == utc(2026, 2, 5, 4, 59) and deadline.due.tzinfo == UTC
    with pytest.raises(ValueError, match="due"):
        Deadline(kind=ReportKind.SAE_TO_SPONSOR, due=dt.datetime(2026, 2, 4), basis="x")  # noqa: DTZ001
    assert [k.value for k in ReportKind] == [
        "sae_to_sponsor",
        "susar_7_day",
        "susar_follow_up_8_day",
        "susar_15_day",
    ]
