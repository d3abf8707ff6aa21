"""One visit state everywhere (issue 16): the API's schedule, the participant's schedule page, the
worklist and the dashboard give each participant the visit states and the next visit that the core
rule computes from what the test recorded, over random schedules and days (seeded); the screening
visit of a participant screened and randomized the same day is never missed."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from login import signed_in_client
from trial_factory import protocol_in_use

from trialdesk.protocol import default_protocol_path, load_protocol
from trialdesk.protocol.visit_state import ParticipantDates, VisitRecord, next_visit, visit_states
from trialdesk.web.capture.models import (
    COMPLETE,
    DRAFT,
    Discontinuation,
    FormInstance,
    VisitNotDone,
)
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Participant, ScreeningRecord

DM = "data_manager"
DAY = dt.timedelta(days=1)
ROW = re.compile(r'data-participant="([^"]+)" data-next-visit="([^"]*)" data-next-status="([^"]*)"')


def _random_schedule(folder, rng: random.Random):
    """Write the bundled protocol with random visit days and windows (the pre-randomization visit
    stays before day 0); return its path."""
    text = default_protocol_path().read_text()
    head, rest = text.split("[[visits]]", 1)
    blocks = ("[[visits]]" + rest).split("\n[[forms]]", 1)[0].split("[[visits]]")[1:]
    tail = "\n[[forms]]" + rest.split("\n[[forms]]", 1)[1]
    days = iter(sorted(rng.sample(range(40), len(blocks))))
    written = []
    for block in blocks:
        lines = [line for line in block.strip("\n").splitlines()
                 if not line.startswith(("day =", "window_before =", "window_after ="))]
        day = rng.randint(-4, -1) if 'code = "screening"' in block else next(days)
        lines.insert(2, f"day = {day}\nwindow_before = {rng.randint(0, 3)}\n"
                        f"window_after = {rng.randint(0, 3)}")
        written.append("[[visits]]\n" + "\n".join(lines) + "\n")
    path = folder / "random-schedule.toml"
    path.write_text(head + "".join(written) + tail)
    return path


def _views(ct, code: str) -> dict[str, object]:
    """What each view says of one participant: states by visit and next visit (code, state)."""
    body = ct.api(DM).get(f"/api/v1/participants/{code}/schedule").json()
    following = body["next_visit"]
    page = signed_in_client(ct.users[DM]).get(f"/capture/participants/{code}/").content.decode()
    shown = re.search(r'id="next-visit" data-next-visit="([^"]*)" data-next-status="([^"]*)"',
                      page)
    return {
        "api_states": {v["visit"]: v["status"] for v in body["visits"]},
        "api_next": (following["visit"], following["status"]) if following else None,
        "page_states": dict(re.findall(r'id="visit-([\w-]+)" data-status="(\w+)"', page)),
        "page_next": shown.groups() if shown else None,
    }


def _rows(ct, path: str) -> dict[str, tuple[str, str] | None]:
    page = signed_in_client(ct.users[DM]).get(path).content.decode()
    return {code: (visit, status) if visit else None for code, visit, status in ROW.findall(page)}


def _record_forms(ct, participant: Participant, visit, *, complete: bool) -> None:
    user = ct.users["coordinator-co-01"]
    now = clock.now()
    forms = visit.forms if complete else visit.forms[:1]
    for form in forms:
        FormInstance.objects.create(
            participant=participant, site_id=participant.site_id, visit=visit.code, form=form,
            status=COMPLETE if complete else DRAFT, values={}, created_at=now, created_by=user,
            updated_at=now, updated_by=user)


def _random_participant(ct, rng: random.Random) -> tuple[str, ParticipantDates, dict]:
    """Randomize someone in the past with random records; return what the rule should read."""
    code = ct.randomize(rng.choice(("co-01", "co-02")), days_ago=rng.randint(0, 40))
    participant = Participant.objects.select_related("randomization").get(code=code)
    randomized_at = participant.randomization.randomized_at
    # screened the day of randomization (most often) or up to two days before
    screened_at = randomized_at - dt.timedelta(days=rng.choice((0, 0, 1, 2)))
    ScreeningRecord.objects.filter(participant=participant).update(screened_at=screened_at)
    records = {}
    for visit in get_protocol().visits:
        roll = rng.random()
        if roll < 0.3:
            _record_forms(ct, participant, visit, complete=True)
            records[visit.code] = VisitRecord(entered=True, complete=True)
        elif roll < 0.45:
            _record_forms(ct, participant, visit, complete=False)
            records[visit.code] = VisitRecord(entered=True)
        elif roll < 0.55:
            VisitNotDone.objects.create(participant=participant, visit=visit.code, reason="x",
                                        recorded_at=clock.now(), recorded_by=ct.users[DM])
            records[visit.code] = VisitRecord(not_done=True)
    left_on = None
    if rng.random() < 0.3:
        left_on = randomized_at.date() + rng.randint(0, 30) * DAY
        Discontinuation.objects.create(participant=participant, kind="died", date=left_on,
                                       recorded_at=clock.now(), recorded_by=ct.users[DM])
    dates = ParticipantDates(randomized_at.date(), screened_at.date(), left_on)
    return code, dates, records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_view_gives_the_states_and_next_visit_of_the_one_rule(ct, seed, settings,
                                                                    tmp_path):
    rng = random.Random(seed)
    with protocol_in_use(settings, _random_schedule(tmp_path, rng)):
        windows = [(v.day, v.window_before, v.window_after) for v in get_protocol().visits]
        assert windows != [(v.day, v.window_before, v.window_after)
                           for v in load_protocol().visits]
        _compare_views(ct, rng)


def _compare_views(ct, rng: random.Random) -> None:
    visits = get_protocol().visits
    people = [_random_participant(ct, rng) for _ in range(5)]
    start = clock.now()
    for offset in sorted(rng.sample(range(-1, 45), 4)):
        with clock.use_clock(clock.SimulatedClock(start + offset * DAY)):
            today = clock.today()
            worklist = _rows(ct, "/capture/worklist/")
            dashboard = _rows(ct, "/")
            for code, dates, records in people:
                # every form of a visit is recorded alike: its closing forms' record is its own
                expected = visit_states(visits, dates, records, today=today,
                                        closing_records=records)
                following = next_visit(expected)
                want_next = (following.code, following.status) if following else None
                states = {s.code: s.status for s in expected}
                seen = _views(ct, code)
                context = (offset, code, dates, records, [(v.code, v.day) for v in visits])
                assert seen["api_states"] == states == seen["page_states"], context
                assert seen["api_next"] == want_next == seen["page_next"], context
                assert worklist[code] == want_next == dashboard[code], context


def test_screened_and_randomized_the_same_day_the_screening_visit_is_never_missed(ct):
    code = ct.randomize()  # screened and randomized now
    start = clock.now()
    seen = []
    for offset in (0, 1, 3, 30, 60):
        with clock.use_clock(clock.SimulatedClock(start + offset * DAY)):
            views = _views(ct, code)
            assert views["api_states"]["screening"] == views["page_states"]["screening"]
            seen.append(views["api_states"]["screening"])
            if offset == 0:
                assert views["api_next"] == ("day0", "due") == views["page_next"]
                assert _rows(ct, "/capture/worklist/")[code] == ("day0", "due")
                assert _rows(ct, "/")[code] == ("day0", "due")
    assert seen == ["due", "overdue", "overdue", "overdue", "overdue"]
