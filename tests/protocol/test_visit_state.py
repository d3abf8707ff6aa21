"""The one visit-state rule (issue 16): hand-made cases, then properties over random schedules,
anchor dates, records and days (hypothesis)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.protocol import load_protocol
from trialdesk.protocol.visit_state import (
    EXPECTED_STATUSES,
    OPEN_STATUSES,
    VISIT_STATUSES,
    ParticipantDates,
    VisitRecord,
    next_visit,
    visit_states,
)

R = dt.date(2026, 3, 10)  # the randomization day
DAY = dt.timedelta(days=1)
VISITS = load_protocol().visits  # screening day -1 (window -3..-1), day0, day1, 3, 7, 14, 28
ORDER = ["upcoming", "due", "overdue", "missed"]  # an unrecorded visit only moves forward


@dataclass(frozen=True)
class V:
    """A visit as the rule reads it."""

    code: str
    day: int
    window_before: int = 0
    window_after: int = 0
    closing_forms: tuple[str, ...] = ()


def states(today, *, screened_on=None, left_on=None, records=None, visits=VISITS):
    dates = ParticipantDates(randomized_on=R, screened_on=screened_on, left_on=left_on)
    # every form of a visit recorded alike: the closing forms' record is the visit's
    return {s.code: s for s in visit_states(visits, dates, records or {}, today=today,
                                            closing_records=records or {})}


def test_screened_and_randomized_the_same_day_the_screening_visit_is_due_never_missed():
    for days in (0, 1, 5, 40, 400):
        screening = states(R + days * DAY, screened_on=R)["screening"]
        assert screening.took_place
        assert screening.status == ("due" if days == 0 else "overdue"), days
    # its forms complete: done
    done = states(R + 3 * DAY, screened_on=R,
                  records={"screening": VisitRecord(entered=True, complete=True)})
    assert done["screening"].status == "done"


def test_without_a_screening_record_the_pre_randomization_visit_follows_its_window():
    assert states(R, screened_on=None)["screening"].status == "missed"  # day0's window is open


def test_windows_hang_on_the_randomization_date():
    day7 = states(R)["day7"]
    assert (day7.target, day7.window_start, day7.window_end) == (R + 7 * DAY, R + 6 * DAY,
                                                                 R + 8 * DAY)
    screening = states(R, screened_on=R)["screening"]
    assert (screening.target, screening.window_start) == (R - DAY, R - 3 * DAY)


def test_an_unrecorded_visit_goes_upcoming_due_overdue_missed():
    seen = [states(R + d * DAY)["day3"].status for d in (0, 2, 4, 5, 6)]
    # window 2..4, the next (day 7) opens on day 6: overdue on day 5, missed from day 6
    assert seen == ["upcoming", "due", "due", "overdue", "missed"]
    last = [states(R + d * DAY)["day28"].status for d in (25, 26, 31, 32, 37, 38)]
    assert last == ["upcoming", "due", "due", "overdue", "overdue", "missed"]  # 7 days' grace


def test_a_visit_begun_is_never_missed_and_is_not_the_next_visit():
    records = {"screening": VisitRecord(entered=True, complete=True),
               "day0": VisitRecord(entered=True, complete=True),
               "day1": VisitRecord(entered=True, complete=True),
               "day3": VisitRecord(entered=True)}
    later = states(R + 20 * DAY, screened_on=R, records=records)
    assert later["day3"].status == "overdue"  # its data are late, the visit was not missed
    assert later["day7"].status == "missed"
    following = next_visit(list(later.values()))
    assert following is not None and following.code == "day14"


def test_not_done_and_done_are_kept_whatever_the_day():
    records = {"day3": VisitRecord(not_done=True), "day7": VisitRecord(entered=True,
                                                                       complete=True)}
    for days in (-5, 3, 7, 100):
        got = states(R + days * DAY, records=records)
        assert (got["day3"].status, got["day7"].status) == ("not_done", "done")


def test_after_death_later_visits_are_not_expected_and_the_next_visit_is_none():
    records = {code: VisitRecord(entered=True, complete=True)
               for code in ("screening", "day0", "day1", "day3")}
    got = states(R + 12 * DAY, screened_on=R, left_on=R + 5 * DAY, records=records)
    assert got["day7"].status == "not_expected"  # window opens on day 6, after death on day 5
    assert got["day14"].status == "not_expected"
    # the end-of-study record is still expected (vital status, date of death), on its window
    assert (got["day28"].status, got["day28"].closing_only) == ("upcoming", True)
    assert next_visit(list(got.values())) is None
    # the end-of-study form entered after the death is still expected to be completed
    records["day28"] = VisitRecord(entered=True)
    assert states(R + 12 * DAY, screened_on=R, left_on=R + 5 * DAY,
                  records=records)["day28"].status == "due"


def test_the_next_visit_of_a_new_participant_is_day0_then_day1():
    assert next_visit(list(states(R, screened_on=R).values())).code == "day0"
    records = {"day0": VisitRecord(entered=True, complete=True)}
    assert next_visit(list(states(R, screened_on=R, records=records).values())).code == "day1"


# --- properties -----------------------------------------------------------------------------

@st.composite
def schedules(draw):
    """A random schedule: 1-7 visits, at most one before randomization, days -5..40."""
    days = draw(st.lists(st.integers(0, 40), min_size=1, max_size=6, unique=True))
    if draw(st.booleans()):
        days.append(draw(st.integers(-5, -1)))
    return [V(f"v{i}", day, draw(st.integers(0, 4)), draw(st.integers(0, 4)))
            for i, day in enumerate(days)]


records_strategy = st.builds(VisitRecord, entered=st.booleans(), complete=st.booleans(),
                             not_done=st.booleans()).map(
    lambda r: VisitRecord(entered=r.entered or r.complete, complete=r.complete,
                          not_done=r.not_done))
offsets = st.integers(-10, 60)


@st.composite
def situations(draw):
    visits = draw(schedules())
    records = {v.code: draw(records_strategy) for v in visits if draw(st.booleans())}
    screened = draw(st.none() | st.integers(-3, 0).map(lambda d: R + d * DAY))
    left = draw(st.none() | st.integers(0, 40).map(lambda d: R + d * DAY))
    return visits, ParticipantDates(R, screened, left), records


@settings(max_examples=300, deadline=None)
@given(situations(), offsets, offsets)
def test_states_are_known_and_monotone_in_time_for_unrecorded_visits(situation, a, b):
    visits, dates, records = situation
    early, late = sorted((a, b))
    before = visit_states(visits, dates, records, today=R + early * DAY)
    after = visit_states(visits, dates, records, today=R + late * DAY)
    for first, then in zip(before, after, strict=True):
        assert first.status in VISIT_STATUSES and then.status in VISIT_STATUSES
        if first.status in ("done", "not_done", "not_expected"):
            assert then.status == first.status  # settled by what was recorded, not by the day
        if first.code not in records and not first.took_place and first.status in ORDER:
            assert ORDER.index(then.status) >= ORDER.index(first.status)


@settings(max_examples=300, deadline=None)
@given(situations(), offsets)
def test_done_is_never_missed_and_a_screened_participants_screening_never_missed(situation, d):
    visits, dates, records = situation
    for state in visit_states(visits, dates, records, today=R + d * DAY):
        record = records.get(state.code, VisitRecord())
        if record.complete and not record.not_done:
            assert state.status == "done"
        if state.took_place or (state.day < 0 and dates.screened_on is not None):
            assert state.status != "missed"
        if record.entered:
            assert state.status not in ("missed", "upcoming", "not_expected")


@settings(max_examples=300, deadline=None)
@given(situations(), offsets)
def test_the_next_visit_is_the_first_open_one_not_begun(situation, d):
    visits, dates, records = situation
    got = visit_states(visits, dates, records, today=R + d * DAY)
    assert [s.day for s in got] == sorted(s.day for s in got)
    following = next_visit(got)
    candidates = [s for s in got if s.status in OPEN_STATUSES and not s.took_place]
    assert following == (candidates[0] if candidates else None)


@settings(max_examples=200, deadline=None)
@given(situations(), offsets)
def test_expected_states_are_those_whose_window_opened_or_that_took_place(situation, d):
    visits, dates, records = situation
    today = R + d * DAY
    for state in visit_states(visits, dates, records, today=today):
        if state.status in EXPECTED_STATUSES and state.status != "done":
            assert state.took_place or state.window_start <= today


def _after_death(today, *, closing=None, closing_expected=True):
    dates = ParticipantDates(randomized_on=R, screened_on=R, left_on=R + 5 * DAY,
                             closing_expected=closing_expected)
    found = visit_states(VISITS, dates, {}, today=today, closing_records=closing or {})
    return {s.code: s for s in found}


def test_the_closing_form_after_a_death_is_due_then_missed_or_done():
    assert _after_death(R + 27 * DAY)["day28"].status == "due"
    assert _after_death(R + 40 * DAY)["day28"].status == "missed"
    done = {"day28": VisitRecord(entered=True, complete=True)}
    assert _after_death(R + 40 * DAY, closing=done)["day28"].status == "done"
    # a withdrawal of consent from follow-up asks for nothing more, closing forms included
    withdrawn = _after_death(R + 40 * DAY, closing_expected=False)["day28"]
    assert (withdrawn.status, withdrawn.closing_only) == ("not_expected", False)
