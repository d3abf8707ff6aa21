"""The visit schedule from the randomization date: windows, visit and form statuses, visits not
done, and no visit due after death or withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
from capture_testkit import RESPIRATORY_OK, form_path
from django.utils import timezone
from eligible import ELIGIBLE_VALUES

from trialdesk.protocol import load_protocol
from trialdesk.protocol.visit_state import VisitRecord, visit_status

COORD = "coordinator-co-01"
D = dt.date(2026, 3, 10)


@pytest.mark.parametrize(("today", "expected"), [
    (D - dt.timedelta(days=2), "upcoming"),
    (D - dt.timedelta(days=1), "due"),       # window opens a day early
    (D + dt.timedelta(days=1), "due"),       # and closes a day late
    (D + dt.timedelta(days=2), "overdue"),
    (D + dt.timedelta(days=5), "missed"),    # the next visit's window has opened
])
def test_visit_status_follows_the_window(today, expected):
    status = visit_status(record=VisitRecord(), window_start=D - dt.timedelta(days=1),
                          window_end=D + dt.timedelta(days=1), today=today,
                          next_window_start=D + dt.timedelta(days=5), left_on=None,
                          took_place_on=None)
    assert status == expected


def test_last_visit_is_missed_a_week_after_its_window():
    common = {"record": VisitRecord(), "window_start": D, "window_end": D,
              "next_window_start": None, "left_on": None, "took_place_on": None}
    assert visit_status(today=D + dt.timedelta(days=6), **common) == "overdue"
    assert visit_status(today=D + dt.timedelta(days=7), **common) == "missed"


def _schedule(ct, code):
    body = ct.api(COORD).get(f"/api/v1/participants/{code}/schedule").json()
    return {v["visit"]: v for v in body["visits"]}


def test_schedule_has_every_protocol_visit_with_target_dates_from_randomization(ct):
    code = ct.randomize(days_ago=7)
    visits = _schedule(ct, code)
    protocol = load_protocol()
    assert list(visits) == [v.code for v in sorted(protocol.visits, key=lambda v: v.day)]
    day0 = dt.date.fromisoformat(visits["day0"]["target_date"])
    for visit in protocol.visits:
        row = visits[visit.code]
        assert row["target_date"] == (day0 + dt.timedelta(days=visit.day)).isoformat()
        assert row["window_start"] == (day0 + dt.timedelta(
            days=visit.day - visit.window_before)).isoformat()
        assert [f["form"] for f in row["forms"]] == visit.forms
    assert visits["day7"]["status"] == "due"
    assert visits["day3"]["status"] == "missed"
    assert visits["day14"]["status"] == "upcoming"


def test_form_statuses_move_from_not_started_to_draft_to_complete(ct):
    code = ct.randomize()
    statuses = lambda: {f["form"]: f["status"] for f in _schedule(ct, code)["day0"]["forms"]}  # noqa: E731
    assert set(statuses().values()) == {"not_started"}
    ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK})
    assert statuses()["respiratory"] == "draft"
    ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    assert statuses()["respiratory"] == "complete"


def test_a_visit_marked_not_done_keeps_its_reason_and_is_no_longer_missed(ct):
    code = ct.randomize(days_ago=7)
    path = f"/api/v1/participants/{code}/visits/day3/not-done"
    assert ct.api(COORD).post(path, {"reason": ""}).status_code == 422
    assert ct.api(COORD).post(path, {"reason": "patient in CT scan"}).status_code == 201
    day3 = _schedule(ct, code)["day3"]
    assert (day3["status"], day3["not_done_reason"]) == ("not_done", "patient in CT scan")
    assert ct.api(COORD).post(path, {"reason": "again"}).status_code == 409


def test_after_death_no_further_visit_is_due(ct):
    code = ct.randomize(days_ago=10)
    died = (timezone.now().date() - dt.timedelta(days=8)).isoformat()
    response = ct.api(COORD).post(f"/api/v1/participants/{code}/discontinue",
                                  {"kind": "died", "date": died, "reason": "refractory hypoxaemia"})
    assert response.status_code == 201, response.content
    visits = _schedule(ct, code)
    assert visits["day0"]["status"] == "missed"  # before death: still expected
    for later in ("day7", "day14"):
        assert visits[later]["status"] == "not_expected", later
    # the end-of-study record is still asked for (vital status, date of death), alone
    closing = visits["day28"]
    assert (closing["status"], closing["closing_only"]) == ("upcoming", True)
    assert [form["form"] for form in closing["forms"]] == ["end_of_study"]
    again = ct.api(COORD).post(f"/api/v1/participants/{code}/discontinue",
                               {"kind": "withdrew", "date": died})
    assert again.status_code == 409


def test_schedule_is_empty_before_randomization(ct):
    inv = ct.api("investigator-co-01")
    code = inv.post("/api/v1/participants", {"values": ELIGIBLE_VALUES}).json()["code"]
    assert _schedule(ct, code) == {}


def test_a_visits_forms_are_read_together_with_their_values(ct):
    code = ct.randomize()
    ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK})
    forms = ct.api(COORD).get(f"/api/v1/participants/{code}/visits/day0/forms").json()
    assert [f["form"] for f in forms] == load_protocol().visit("day0").forms
    respiratory = next(f for f in forms if f["form"] == "respiratory")
    assert respiratory["values"]["pao2_fio2"] == 160 and respiratory["status"] == "draft"
    assert ct.api("coordinator-co-02").get(
        f"/api/v1/participants/{code}/visits/day0/forms").status_code == 404
