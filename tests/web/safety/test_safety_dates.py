"""Issue 12 leftover: a safety date lies from the protocol's earliest date of trial data (the
registry's start date, 2020-01-13, for NCT04390152: ``Protocol.earliest_date()``, the rule form
dates use) to today (a day of leeway: a site ahead of UTC is already on the next day); a date
and time with an offset, however extreme, is refused naming the field, never a 500. Wherever the
date enters: a report, a correction, a follow-up, the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from login import signed_in_client
from safety_kit import INVESTIGATOR, randomized, report

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.safety.models import AdverseEvent, AdverseEventFollowUp

EVENTS = "/api/v1/safety/adverse-events"
EARLIEST = "must not be before 2020-01-13"


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


def _in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("onset_date", "0001-01-01", EARLIEST),
    ("onset_date", "0002-01-01", EARLIEST),
    ("onset_date", "2020-01-12", EARLIEST),
    ("onset_date", "9999-12-31", "must not be in the future"),
    ("sponsor_aware_date", "0001-01-01", EARLIEST),
    ("sponsor_aware_date", "9999-12-31", "must not be in the future"),
    ("end_date", "9999-12-31", "must not be in the future"),
    ("investigator_aware_at", "0001-01-01T00:00+05:00", EARLIEST),
    ("investigator_aware_at", "0001-01-01T00:00-05:00", EARLIEST),
    ("investigator_aware_at", "9999-12-31T23:00-05:00", "must not be in the future"),
    ("investigator_aware_at", "9999-12-31T23:59:59+05:00", "must not be in the future"),
])
def test_a_report_with_a_date_outside_the_window_is_refused_naming_the_field(
        trial, field, value, rule):
    code = randomized(trial)
    records = AuditRecord.objects.count()
    response = trial.api(INVESTIGATOR).post(EVENTS, report(code, **{field: value}))
    assert response.status_code == 422, response.content
    assert _fields(response) == {field: rule}
    assert not AdverseEvent.objects.exists() and AuditRecord.objects.count() == records


def test_the_trial_start_date_and_today_are_accepted(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    api.ok("POST", EVENTS, report(code, onset_date="2020-01-13", sponsor_aware_date=_in_days(0),
                                  investigator_aware_at="2020-01-13T00:00-05:00"))
    api.ok("POST", EVENTS, report(code, onset_date=_in_days(1)))  # a day of leeway, as before


def test_a_correction_or_a_follow_up_with_an_extreme_date_is_refused_and_changes_nothing(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    event = api.ok("POST", EVENTS, report(code))
    path = f"{EVENTS}/{event['id']}"
    records = AuditRecord.objects.count()
    for field, value, rule in [("onset_date", "0001-01-01", EARLIEST),
                               ("investigator_aware_at", "0001-01-01T00:00+05:00", EARLIEST),
                               ("investigator_aware_at", "9999-12-31T23:00-05:00",
                                "must not be in the future"),
                               ("end_date", "9999-12-31", "must not be in the future")]:
        response = api.send("PATCH", path, {field: value, "reason": "typo"})
        assert response.status_code == 422, response.content
        assert _fields(response) == {field: rule}
    response = api.post(path + "/follow-ups", {"text": "Better", "outcome": "recovered",
                                               "resolved": True, "end_date": "9999-12-31"})
    assert response.status_code == 422, response.content
    assert _fields(response) == {"end_date": "must not be in the future"}
    assert AuditRecord.objects.count() == records and not AdverseEventFollowUp.objects.exists()
    assert AdverseEvent.objects.get().version == event["version"]


def test_the_report_page_refuses_a_date_of_year_one_naming_the_field(trial):
    code = randomized(trial)
    client = signed_in_client(trial.users[INVESTIGATOR])
    response = client.post("/safety/report/", {
        "participant": code, "term": "Pneumonia", "onset_date": "0001-01-01", "grade": "1",
        "relatedness": "unlikely", "expectedness": "unknown", "action_taken": "unknown",
        "outcome": "unknown"})
    assert response.status_code == 422
    assert EARLIEST in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_the_follow_up_and_correction_pages_refuse_an_end_date_of_year_9999(trial):
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", EVENTS, report(code))
    client = signed_in_client(trial.users[INVESTIGATOR])
    records = AuditRecord.objects.count()
    response = client.post(f"/safety/events/{event['id']}/follow-up/", {
        "kind": "follow_up", "text": "Better", "outcome": "recovered", "resolved": "on",
        "end_date": "9999-12-31"})
    assert response.status_code == 422
    assert "must not be in the future" in response.content.decode()
    response = client.post(f"/safety/events/{event['id']}/edit/", {
        "term": "Headache", "onset_date": "0001-01-01", "grade": "1",
        "relatedness": "not_related", "expectedness": "unknown", "action_taken": "unknown",
        "outcome": "unknown", "reason": "typo"})
    assert response.status_code == 422
    assert EARLIEST in response.content.decode()
    assert AuditRecord.objects.count() == records and not AdverseEventFollowUp.objects.exists()
