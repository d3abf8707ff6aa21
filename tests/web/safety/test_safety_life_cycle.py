"""Issue 15: an adverse event from its first report to its resolution through the API: reporting
clocks in the site's time zone, overdue flags, next actions, follow-ups, death and SUSAR reports,
corrections with a reason, coding from the queue, every write audited; refusals name the field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from safety_kit import INVESTIGATOR, randomized, report

from trialdesk.web.core.models import AuditRecord

EVENTS = "/api/v1/safety/adverse-events"


def _audit(key: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(object_id=key).order_by("seq"))


def test_an_sae_from_first_report_to_resolution(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    event = api.ok("POST", EVENTS, report(code, term="Pneumonia", grade=3, hospitalization=True,
                                          relatedness="unlikely"))
    path = f"{EVENTS}/{event['id']}"
    # recording it reported it to the sponsor in time: one clock, done, not late
    assert event["serious"] and event["status"] == "open"
    [sae_clock] = event["deadlines"]
    assert sae_clock["kind"] == "sae_to_sponsor" and sae_clock["done_at"]
    assert sae_clock["overdue"] is False and event["overdue"] is False
    assert sae_clock["time_zone"] == "America/Bogota" and sae_clock["due_local"].endswith("-05")
    assert event["next_actions"] == ["follow_up"]
    # a first follow-up: still recovering
    event = api.ok("POST", path + "/follow-ups",
                   {"text": "Antibiotics started; afebrile since yesterday",
                    "outcome": "recovering", "resolved": False})
    assert event["status"] == "open" and event["next_actions"] == ["follow_up"]
    # resolution: the end date is required
    refused = api.post(path + "/follow-ups", {"text": "Discharged", "outcome": "recovered",
                                              "resolved": True})
    assert refused.status_code == 422
    assert refused.json()["fields"] == [{"field": "end_date",
                                         "rule": "is required to resolve the event"}]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    event = api.ok("POST", path + "/follow-ups", {"text": "Discharged home", "outcome": "recovered",
                                                  "resolved": True, "end_date": today})
    assert event["status"] == "resolved" and event["next_actions"] == []
    assert [f["seq"] for f in event["follow_ups"]] == [1, 2]
    assert event["follow_ups"][-1]["resolved"] is True
    # resolved: no more follow-ups
    assert api.post(path + "/follow-ups", {"text": "again", "outcome": "recovered",
                                           "resolved": True}).status_code == 409
    records = _audit(event["key"])
    assert [r.action for r in records] == ["report_adverse_event", "follow_up_adverse_event",
                                           "follow_up_adverse_event"]
    assert records[-1].reason == "Discharged home"
    assert records[-1].changes["status"] == {"old": "open", "new": "resolved"}


def test_a_death_needs_its_death_report(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    event = api.ok("POST", EVENTS, report(code, term="Cardiac arrest", grade=3,
                                          life_threatening=True))
    path = f"{EVENTS}/{event['id']}"
    event = api.ok("POST", path + "/follow-ups", {"text": "Died on the ICU", "outcome": "fatal",
                                                  "resolved": True})
    assert event["grade"] == 5 and event["seriousness"]["death"] is True
    assert event["next_actions"] == ["death_report"]
    assert "death" in event["alert_reasons"]
    event = api.ok("POST", path + "/follow-ups", {"kind": "death_report", "text": "Autopsy: MI",
                                                  "outcome": "fatal", "resolved": True})
    assert event["next_actions"] == []


def test_a_susar_runs_the_7_day_clocks_and_needs_its_report(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    event = api.ok("POST", EVENTS, report(code, term="Anaphylaxis", grade=4,
                                          life_threatening=True, relatedness="definite",
                                          expectedness="unexpected"))
    assert event["susar"] is True
    assert [d["kind"] for d in event["deadlines"]] == ["sae_to_sponsor", "susar_7_day",
                                                       "susar_follow_up_8_day"]
    # day 0 is the site's calendar day of the report (before 05:00 UTC Bogota is still on the
    # day before the UTC date)
    reported = dt.datetime.fromisoformat(event["reported_to_sponsor_at"])
    day0 = reported.astimezone(ZoneInfo("America/Bogota")).date()
    seven = event["deadlines"][1]
    # due at the end of day 0 + 7 in Bogota: 04:59:59 UTC the day after
    assert seven["due_local"].startswith((day0 + dt.timedelta(days=7)).isoformat() + " 23:59")
    assert event["next_actions"] == ["susar_report", "follow_up"]
    path = f"{EVENTS}/{event['id']}"
    event = api.ok("POST", path + "/follow-ups", {"kind": "susar_report",
                                                  "text": "Sent to INVIMA", "outcome": "recovering",
                                                  "resolved": False})
    assert event["next_actions"] == ["follow_up"]
    assert event["deadlines"][1]["done_at"] and not event["deadlines"][1]["overdue"]


def test_an_sae_reported_two_days_after_awareness_is_late(trial):
    code = randomized(trial)
    aware = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    event = trial.api(INVESTIGATOR).ok("POST", EVENTS, report(
        code, grade=3, hospitalization=True, onset_date=aware[:10], investigator_aware_at=aware))
    assert event["deadlines"][0]["overdue"] is True  # done, but after its 24 hours


def test_a_correction_needs_a_reason_and_is_audited_with_old_and_new(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    event = api.ok("POST", EVENTS, report(code))
    path = f"{EVENTS}/{event['id']}"
    refused = api.send("PATCH", path, {"grade": 2, "reason": " "})
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["field"] == "reason"
    event = api.ok("PATCH", path, {"grade": 2, "reason": "worse than first noted"})
    assert event["grade"] == 2 and event["version"] == 2
    record = _audit(event["key"])[-1]
    assert record.action == "update_adverse_event"
    assert record.changes == {"grade": {"old": 1, "new": 2}}
    assert record.reason == "worse than first noted"


@pytest.mark.parametrize(("values", "field"), [
    ({"grade": 5}, "outcome"),
    ({"outcome": "fatal", "grade": 5}, "death"),
    ({"onset_date": "2999-01-01"}, "onset_date"),
    ({"outcome": "recovered"}, "end_date"),
    ({"investigator_aware_at": "2026-01-06T10:00"}, "investigator_aware_at"),
])
def test_inconsistent_values_are_refused_naming_the_field(trial, values, field):
    code = randomized(trial)
    response = trial.api(INVESTIGATOR).post(EVENTS, report(code, **values))
    assert response.status_code == 422, response.content
    assert response.json()["fields"][0]["field"] == field


def test_site_staff_see_their_site_only_and_readers_cannot_write(trial):
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", EVENTS, report(code))
    other = trial.api("investigator-co-02")
    assert other.get(f"{EVENTS}/{event['id']}").status_code == 404
    assert other.get(EVENTS).json() == []
    assert other.post(EVENTS, report(code)).status_code == 404
    for reader in ("monitor", "data_manager"):
        assert trial.api(reader).get(f"{EVENTS}/{event['id']}").status_code == 200
        assert trial.api(reader).post(EVENTS, report(code)).status_code == 403


def test_the_data_manager_codes_the_queue(trial):
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", EVENTS, report(code, term="Head ache"))
    dm = trial.api("data_manager")
    assert [e["id"] for e in dm.get("/api/v1/safety/coding-queue").json()] == [event["id"]]
    assert trial.api(INVESTIGATOR).get("/api/v1/safety/coding-queue").status_code == 403
    coded = dm.ok("POST", f"{EVENTS}/{event['id']}/code",
                  {"llt_code": "10019211", "llt_name": "Headache", "pt_code": "10019211",
                   "pt_name": "Headache", "soc_code": "10029205",
                   "soc_name": "Nervous system disorders"})
    assert coded["coded"]["pt_name"] == "Headache"
    assert dm.get("/api/v1/safety/coding-queue").json() == []
    # recoding needs a reason
    again = {"llt_code": "10019212", "pt_code": "10019211", "pt_name": "Headache"}
    assert dm.post(f"{EVENTS}/{event['id']}/code", again).status_code == 422
    assert dm.post(f"{EVENTS}/{event['id']}/code",
                   {**again, "reason": "closer LLT"}).status_code == 200
    assert [r.action for r in _audit(event["key"])][-2:] == ["code_adverse_event"] * 2


def test_the_pooled_summary_counts_without_arms(trial):
    code = randomized(trial)
    api = trial.api(INVESTIGATOR)
    api.ok("POST", EVENTS, report(code))
    api.ok("POST", EVENTS, report(code, grade=3, hospitalization=True, relatedness="possible"))
    summary = trial.api("monitor").get("/api/v1/safety/summary").json()
    assert summary["pooled"] is True
    assert summary["events"] == 2 and summary["participants_with_event"] == 1
    assert summary["participants_with_serious_event"] == 1
    assert summary["by_grade"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0}
    assert not any("arm" in key for key in summary)
