"""A major deviation's report to the ethics committee: due N days (the protocol's) after its
discovery, overdue after that on the trial's clock (a simulated one here), reported once its date
is recorded; and the lock checklist's item while it is not."""

from __future__ import annotations

import datetime as dt

from days import site_today
from deviation_kit import LOG, body, days_ago, today
from django.utils import timezone
from enrollment import randomize
from lock_override import lock_database

from trialdesk.web.core.clock import SimulatedClock, use_clock
from trialdesk.web.core.lock_checklist import (
    DATABASE,
    FORM,
    PARTICIPANT,
    LockScope,
    lock_checklist,
    lock_checks,
)
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.deviations.lock_check import find
from trialdesk.web.trials.models import Participant


def _major(trial, code=None, **values):
    return trial.api("monitor").ok("POST", LOG, body(
        code, severity="major", category="consent", description="Consent signed after the "
        "first study procedure", discovery_method="monitoring_visit", **values))


def test_the_ethics_report_falls_due_and_is_overdue_on_the_trials_clock(trial):
    window = get_protocol().deviations.ethics_report_days
    code, _ = randomize(trial.api("investigator-co-01"))
    created = _major(trial, code)
    discovered = dt.date.fromisoformat(created["discovered_on"])
    assert created["ethics_report"] == {"state": "due", "reported_on": None, "reference": "",
                                        "due_on": (discovered + dt.timedelta(
                                            days=window)).isoformat()}
    monitor = trial.api("monitor")
    path = f"{LOG}/{created['id']}"
    start = timezone.now()
    with use_clock(SimulatedClock(start + dt.timedelta(days=window))) as clock:
        assert monitor.ok("GET", path)["ethics_report"]["state"] == "due"  # the last day
        clock.advance(dt.timedelta(days=1))
        assert monitor.ok("GET", path)["ethics_report"]["state"] == "overdue"
        overdue = monitor.ok("GET", LOG + "?ethics=overdue")
        assert [d["key"] for d in overdue] == [created["key"]]
        reported = monitor.ok("PATCH", path, {
            "ethics_reported_on": site_today("CO-01").isoformat(),  # on the trial's clock
            "ethics_reference": "CEI-2026-007", "reason": "Reported late to the committee"})
        assert reported["ethics_report"]["state"] == "reported"
        assert monitor.ok("GET", LOG + "?ethics=overdue") == []


def test_a_minor_deviation_needs_no_ethics_report_and_a_severity_change_moves_the_due_date(
        trial):
    created = trial.api("monitor").ok("POST", LOG, body(None, site="CO-01"))
    assert created["ethics_report"]["state"] == "not_required"
    assert created["ethics_report"]["due_on"] is None
    raised = trial.api("monitor").ok("PATCH", f"{LOG}/{created['id']}", {
        "severity": "major", "discovered_on": days_ago(1),
        "reason": "The visit held the primary outcome"})
    assert raised["ethics_report"]["state"] == "due"
    assert raised["ethics_report"]["due_on"] == (
        dt.date.fromisoformat(days_ago(1))
        + dt.timedelta(days=get_protocol().deviations.ethics_report_days)).isoformat()


def test_the_lock_checklist_lists_major_deviations_not_reported_to_ethics(trial):
    first, _ = randomize(trial.api("investigator-co-01"))
    second, _ = randomize(trial.api("investigator-co-01"))
    of_first = _major(trial, first)
    site_level = _major(trial, None, site="CO-02")
    trial.api("monitor").ok("POST", LOG, body(second))  # minor: not an item
    p1, p2 = Participant.objects.get(code=first), Participant.objects.get(code=second)

    def items(scope):
        return [item.subject for item in find(scope)]

    registered = {check.code: check for check in lock_checks()}["open_deviations"]
    assert registered.find is find
    assert registered.label == "Major deviations not reported to ethics"
    database = lock_checklist(LockScope(DATABASE))["open_deviations"]
    assert [item.check for item in database] == ["open_deviations"] * 2

    assert items(LockScope(DATABASE)) == [f"{of_first['key']} ({first})",
                                          f"{site_level['key']} (CO-02)"]
    assert items(LockScope(PARTICIPANT, participant=p1)) == [f"{of_first['key']} ({first})"]
    assert items(LockScope(FORM, participant=p1)) == [f"{of_first['key']} ({first})"]
    assert items(LockScope(PARTICIPANT, participant=p2)) == []
    trial.api("monitor").ok("PATCH", f"{LOG}/{of_first['id']}", {
        "ethics_reported_on": today(), "reason": "Reported to the CEI"})
    assert items(LockScope(DATABASE)) == [f"{site_level['key']} (CO-02)"]


def test_a_database_lock_is_held_up_by_it_and_the_log_stays_open_after_the_lock(trial):
    created = _major(trial, None, site="CO-01")
    refused = trial.api("data_manager").post("/api/v1/locks", {"scope": "database"})
    assert refused.status_code == 409
    assert "open_deviations" in refused.content.decode()
    assert created["key"] in refused.content.decode()
    assert lock_database(trial.users).status_code == 201  # the two-person override
    # deviations are the trial's quality record: found at lock review, reported after the lock
    after = trial.api("monitor").post(LOG, body(None, site="CO-02"))
    assert after.status_code == 201, after.content
    trial.api("monitor").ok("PATCH", f"{LOG}/{created['id']}", {
        "ethics_reported_on": today(), "reason": "Reported to the CEI after the lock"})


def test_a_capa_past_its_due_date_is_overdue_until_completed(trial):
    monitor = trial.api("monitor")
    created = monitor.ok("POST", LOG, body(None, site="CO-01", corrective_action="Retrain",
                                           capa_owner="investigator-co-01",
                                           capa_due_on=today()))
    path = f"{LOG}/{created['id']}"
    assert created["capa_overdue"] is False and created["capa_owner"] == "investigator-co-01"
    with use_clock(SimulatedClock(timezone.now() + dt.timedelta(days=2))):
        assert monitor.ok("GET", path)["capa_overdue"] is True
        done = monitor.ok("PATCH", path, {"capa_completed_on": site_today("CO-01").isoformat(),
                                          "preventive_action": "Checklist",
                                          "reason": "Training held"})
        assert done["capa_overdue"] is False
