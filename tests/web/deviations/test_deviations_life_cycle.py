"""A deviation's life: reported, its CAPA written and completed, reported to ethics when major,
closed by the monitor, reopened; each step audited with its reason, each refusal naming the
field and the rule with nothing stored."""

from __future__ import annotations

from deviation_kit import LOG, body, days_ago, one, today
from enrollment import randomize

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.deviations.models import Deviation

COORDINATOR, MONITOR = "coordinator-co-01", "monitor"
REASON = "CAPA agreed at the monitoring visit"


def _report(trial, username=COORDINATOR, **values):
    code, _ = randomize(trial.api("investigator-co-01"))
    response = trial.api(username).post(LOG, body(code, **values))
    assert response.status_code == 201, response.content
    return response.json()


def test_a_reported_deviation_is_open_with_its_reporter_and_todays_discovery(trial):
    created = _report(trial)
    assert created["status"] == "open" and created["site"] == "CO-01"
    assert created["discovered_by"] == COORDINATOR and created["discovered_on"] == today()
    assert created["ethics_report"]["state"] == "not_required"
    record = AuditRecord.objects.get(action="report_deviation")
    assert record.actor == COORDINATOR and record.object_id == created["key"]
    assert record.changes["category"] == {"old": None, "new": "visit_window"}
    assert record.changes["participant"]["new"] == created["participant"]


def test_capa_then_close_then_reopen_each_audited_with_its_reason(trial):
    created = _report(trial, severity="major", category="eligibility",
                      description="Enrolled with a PaO2/FiO2 of 320")
    path = f"{LOG}/{created['id']}"
    assert created["ethics_report"]["state"] == "due"
    coordinator, monitor = trial.api(COORDINATOR), trial.api(MONITOR)
    capa = coordinator.send("PATCH", path, {
        "corrective_action": "Participant's eligibility reviewed by the PI",
        "preventive_action": "Second check of the P/F ratio before consent",
        "capa_owner": "investigator-co-01", "capa_due_on": today(), "reason": REASON})
    assert capa.status_code == 200, capa.content
    assert capa.json()["status"] == "capa_in_progress"
    refused = monitor.post(path + "/close", {"reason": "All actions done"})
    assert refused.status_code == 409
    message = refused.json()["detail"] if "detail" in refused.json() else str(refused.json())
    assert "capa_completed_on" in message and "ethics_reported_on" in message
    assert Deviation.objects.get(pk=created["id"]).status == "capa_in_progress"
    coordinator.ok("PATCH", path, {"capa_completed_on": today(), "ethics_reported_on": today(),
                                   "ethics_reference": "CEI-2026-041", "reason": REASON})
    closed = monitor.ok("POST", path + "/close", {"reason": "All actions verified on site"})
    assert closed["status"] == "closed" and closed["closed_by"] == MONITOR
    assert closed["ethics_report"]["state"] == "reported"
    # closed: no change until reopened, and the site does not reopen it
    assert coordinator.send("PATCH", path, {"description": "Other text here",
                                            "reason": REASON}).status_code == 409
    assert coordinator.post(path + "/reopen", {"reason": "Wrong"}).status_code == 403
    reopened = monitor.ok("POST", path + "/reopen", {"reason": "The check was not applied"})
    assert reopened["status"] == "capa_in_progress"
    actions = list(AuditRecord.objects.filter(object_id=created["key"]).order_by("seq")
                   .values_list("action", "reason"))
    assert actions == [("report_deviation", ""), ("update_deviation", REASON),
                       ("update_deviation", REASON),
                       ("close_deviation", "All actions verified on site"),
                       ("reopen_deviation", "The check was not applied")]
    change = AuditRecord.objects.filter(action="update_deviation").first().changes
    assert change["status"] == {"old": "open", "new": "capa_in_progress"}
    assert change["capa_owner"] == {"old": None, "new": "investigator-co-01"}


def test_a_site_role_does_not_close_its_own_deviation(trial):
    created = _report(trial)
    refused = trial.api("investigator-co-01").post(f"{LOG}/{created['id']}/close",
                                                   {"reason": "Done with it"})
    assert refused.status_code == 403


def _refusal(response):
    assert response.status_code == 422, response.content
    return response.json()


def test_bad_values_are_refused_naming_field_and_rule_and_nothing_is_stored(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    coordinator = trial.api(COORDINATOR)
    cases = {
        "category": body(code, category="weather"),
        "occurred_on": body(code, occurred_on="2999-01-01"),
        "discovered_on": body(code, occurred_on=days_ago(1), discovered_on=days_ago(3)),
        "description": body(code, description="Gave Standard therapy plus MSC by mistake"),
        "capa_owner": body(code, capa_owner="pharmacist-co-02"),
        "ethics_reported_on": body(code, ethics_reported_on=today()),  # minor: none
        "capa_due_on": body(code, capa_due_on="9999-12-31"),  # beyond 3 years: a typed year
        "unblinding_details": body(code, unblinding_details="Kit of the other arm"),
    }
    for field, report in cases.items():
        answer = _refusal(coordinator.post(LOG, report))
        assert field in str(answer), (field, answer)
    assert not Deviation.objects.exists()
    assert not AuditRecord.objects.filter(model="deviation").exists()


def test_an_update_without_a_reason_is_refused_and_changes_nothing(trial):
    created = _report(trial)
    path = f"{LOG}/{created['id']}"
    answer = trial.api(COORDINATOR).send("PATCH", path, {"description": "Day 7 visit on day 11",
                                                         "reason": "x"})
    assert answer.status_code == 422 and "reason" in answer.content.decode()
    assert one(trial, COORDINATOR, created["id"])["description"] == "Day 7 visit done on day 10"
    assert one(trial, COORDINATOR, created["id"])["version"] == 1
