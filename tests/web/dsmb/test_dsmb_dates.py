"""Issue 12 leftover: a DSMB meeting's date and data cut-off, and a recorded recommendation's
meeting date, lie on or after the protocol's earliest date of trial data (2020-01-13 for
NCT04390152, the rule form dates follow); the cut-off and a recommendation's meeting not in the
future (a day of leeway), a meeting scheduled at most three years ahead (as a monitoring visit).
Refused with 422 naming the field, nothing stored or audited."""

from __future__ import annotations

import pytest
from dsmb_kit import DSMB, MEETINGS, days_ago
from login import signed_in_client

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.dsmb.models import Meeting
from trialdesk.web.trials.models import DsmbRecommendation

EARLIEST = "must not be before 2020-01-13"


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


@pytest.mark.parametrize(("date", "cutoff", "field", "rule"), [
    ("0001-01-01", "0001-01-01", "date", EARLIEST),
    ("2020-01-12", "2020-01-12", "date", EARLIEST),
    ("2026-01-06", "0001-01-01", "cutoff", EARLIEST),
    ("9999-12-31", "2026-01-06", "date", "must be at most three years ahead"),
    (days_ago(-30).isoformat(), days_ago(-10).isoformat(), "cutoff", "must not be in the future"),
])
def test_a_meeting_with_a_date_outside_the_window_is_refused(trial, date, cutoff, field, rule):
    records = AuditRecord.objects.count()
    response = trial.api(DSMB).post(MEETINGS, {"date": date, "kind": "scheduled",
                                               "cutoff": cutoff})
    assert response.status_code == 422, response.content
    assert _fields(response) == {field: rule}
    assert not Meeting.objects.exists() and AuditRecord.objects.count() == records


def test_a_meeting_on_the_trial_start_date_and_one_scheduled_ahead_are_recorded(trial):
    api = trial.api(DSMB)
    api.ok("POST", MEETINGS, {"date": "2020-01-13", "kind": "scheduled", "cutoff": "2020-01-13"})
    api.ok("POST", MEETINGS, {"date": days_ago(-60).isoformat(), "kind": "scheduled",
                              "cutoff": days_ago(0).isoformat()})
    assert Meeting.objects.count() == 2


def test_the_meetings_page_refuses_a_cut_off_of_year_one_naming_the_field(trial):
    client = signed_in_client(trial.users[DSMB])
    response = client.post("/dsmb/", {"date": days_ago(0).isoformat(), "kind": "scheduled",
                                      "cutoff": "0001-01-01", "attendees": "Chair"})
    assert response.status_code == 422
    # beside the cut-off field (issue 19: a form's errors next to the field)
    assert f'id="cutoff-error">{EARLIEST}</span>' in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_recommendation_of_a_meeting_in_year_one_is_refused(trial):
    response = trial.api(DSMB).post("/api/v1/dsmb/recommendations", {
        "meeting_date": "0001-01-01", "decision": "continue",
        "rationale": "Nothing of concern so far."})
    assert response.status_code == 422, response.content
    assert _fields(response) == {"meeting_date": EARLIEST}
    assert not DsmbRecommendation.objects.exists()
