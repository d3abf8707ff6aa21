"""REDCap's log from the audit trail: newest first, filtered by record, user and time, with the
trail's blinding rules: a blinded reader sees a pharmacy record's day only, and a time window
reaches it by its day, so narrowing the window cannot tell when a kit was dispensed."""

from __future__ import annotations

import datetime as dt

import pytest
from days import days_later
from enrollment import randomize
from redcap_kit import client_of

from trialdesk.web.core.models import AuditRecord


def _window(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    return {"beginTime": start.strftime("%Y-%m-%d %H:%M"),
            "endTime": end.strftime("%Y-%m-%d %H:%M")}


@pytest.fixture
def dispensed(trial):
    code, kit = randomize(trial.api("investigator-co-01"))
    assert trial.api("pharmacist-co-01").post(f"/api/v1/kits/{kit}/dispense",
                                              {"lot": "LOT-2026-01"}).status_code == 201
    dispensed_at = AuditRecord.objects.get(action="dispense").at.astimezone(dt.UTC)
    return trial, code, dispensed_at


def _dispense_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in rows if row["action"].startswith("dispense")]


def test_a_blinded_reader_sees_the_dispensing_by_its_day_whatever_the_window(dispensed):
    trial, _code, at = dispensed
    monitor = client_of(trial.users["monitor"])
    assert _dispense_rows(monitor.json(content="log")) == []  # not before the day is over
    with days_later():
        rows = _dispense_rows(monitor.json(content="log"))
        assert [row["timestamp"] for row in rows] == [at.date().isoformat()]
        # a window of minutes that misses the dispensing, on its day: still shown, by the day
        day_start = at.replace(hour=0, minute=0, second=0, microsecond=0)
        missed = (day_start if at.hour >= 1 else day_start + dt.timedelta(hours=23))
        narrow = _window(missed, missed + dt.timedelta(minutes=1))
        assert len(_dispense_rows(monitor.json(content="log", **narrow))) == 1
        next_day = _window(at + dt.timedelta(days=1), at + dt.timedelta(days=2))
        assert _dispense_rows(monitor.json(content="log", **next_day)) == []


def test_the_log_is_newest_first_and_filtered_by_record_and_user(dispensed):
    trial, code, _at = dispensed
    admin = client_of(trial.users["admin"])
    rows = admin.json(content="log", record=code)
    assert rows and {row["record"] for row in rows} == {code}
    assert rows == sorted(rows, key=lambda row: row["timestamp"], reverse=True)
    mine = admin.json(content="log", user="investigator-co-01")
    assert mine and {row["username"] for row in mine} == {"investigator-co-01"}
    assert any(row["action"] == f"randomize participant {code}" for row in mine)
    reads = AuditRecord.objects.filter(action="redcap_read", object_id="log", actor="admin")
    assert reads.count() == 2  # every read of the log is itself audited
