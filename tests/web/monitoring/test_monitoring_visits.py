"""Issue 16, monitoring visit reports: planned and done visits per site, findings, action items
with owners and due dates, and the follow-up letter generated from the visit; every write
audited, bad input refused with nothing stored."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from monitoring_kit import MONITOR, VISITS, plan_visit

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.monitoring.models import ActionItem, Finding, MonitoringVisit


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def test_a_visit_from_plan_to_letter(trial):
    monitor = trial.api(MONITOR)
    visit = plan_visit(trial, "CO-02", days=-1)
    finding = monitor.ok("POST", f"{VISITS}/{visit}/findings", {
        "category": "consent", "severity": "major",
        "text": "Two consent forms lack the witness's signature."})
    due = (_today() + dt.timedelta(days=14)).isoformat()
    action = monitor.ok("POST", f"{VISITS}/{visit}/action-items", {
        "text": "Obtain the witness signatures and file a note to file.",
        "owner": "Dr. Restrepo (PI)", "due_date": due, "finding": finding["id"]})
    done = monitor.ok("PATCH", f"{VISITS}/{visit}", {
        "status": "done", "done_date": (_today() - dt.timedelta(days=1)).isoformat(),
        "summary": "Visit of the ICU and pharmacy; consent files reviewed."})
    assert done["status"] == "done" and done["findings"][0]["severity"] == "major"
    assert done["action_items"][0]["owner"] == "Dr. Restrepo (PI)"
    closed = monitor.ok("PATCH", f"/api/v1/monitoring/action-items/{action['id']}",
                        {"status": "done", "note": "Signatures obtained on re-consent."})
    assert closed["status"] == "done" and closed["closed_at"]
    letter = monitor.get(f"{VISITS}/{visit}/letter")
    assert letter.status_code == 200
    assert letter["Content-Disposition"] == (
        f'attachment; filename="monitoring-visit-{visit}-letter.html"')
    html = letter.content.decode()
    # the due date as the letter's language writes it (English: month first), not as stored
    due_written = formats.date_format(dt.date.fromisoformat(due), "SHORT_DATE_FORMAT")
    for text in ("Two consent forms lack", "Dr. Restrepo (PI)", due_written, "CO-02",
                 "Visit of the ICU and pharmacy"):
        assert text in html
    assert due not in html
    actions = list(AuditRecord.objects.filter(model__startswith="monitoring_").order_by("seq")
                   .values_list("action", flat=True))
    assert actions == ["plan_monitoring_visit", "add_monitoring_finding",
                       "add_monitoring_action_item", "update_monitoring_visit",
                       "update_monitoring_action_item"]
    update = AuditRecord.objects.get(action="update_monitoring_visit")
    assert update.changes["status"] == {"old": "planned", "new": "done"}
    assert update.actor == MONITOR


def test_bad_input_is_refused_and_stores_nothing(trial):
    monitor = trial.api(MONITOR)
    visit = plan_visit(trial)
    before = (MonitoringVisit.objects.count(), Finding.objects.count(),
              ActionItem.objects.count(), AuditRecord.objects.count())
    far = (_today() + dt.timedelta(days=5000)).isoformat()
    refusals = [
        ("POST", VISITS, {"site": "XX-99", "kind": "remote", "planned_date": _today().isoformat()}),
        ("POST", VISITS, {"site": "CO-01", "kind": "remote", "planned_date": far}),
        ("POST", VISITS, {"site": "CO-01", "kind": "remote",
                          "planned_date": _today().isoformat(), "monitor": "investigator-co-01"}),
        ("POST", f"{VISITS}/{visit}/findings", {"category": "nope", "severity": "minor",
                                                "text": "Something found"}),
        ("POST", f"{VISITS}/{visit}/action-items", {"text": "Do it now", "owner": "  ",
                                                    "due_date": _today().isoformat()}),
        ("POST", f"{VISITS}/{visit}/action-items", {"text": "Do it now", "owner": "PI",
                                                    "due_date": _today().isoformat(),
                                                    "finding": 999}),
        ("PATCH", f"{VISITS}/{visit}", {"status": "done", "done_date": far}),
        ("PATCH", f"{VISITS}/{visit}", {}),
    ]
    for method, path, body in refusals:
        response = monitor.send(method, path, body)
        assert response.status_code == 422, (path, body, response.content)
    after = (MonitoringVisit.objects.count(), Finding.objects.count(),
             ActionItem.objects.count(), AuditRecord.objects.count())
    assert after == before
    assert MonitoringVisit.objects.get(pk=visit).status == "planned"


def test_a_cancelled_visit_is_final_and_takes_no_finding(trial):
    monitor = trial.api(MONITOR)
    visit = plan_visit(trial)
    monitor.ok("PATCH", f"{VISITS}/{visit}", {"status": "cancelled"})
    assert monitor.send("PATCH", f"{VISITS}/{visit}", {"status": "done"}).status_code == 409
    added = monitor.post(f"{VISITS}/{visit}/findings", {"category": "other", "severity": "minor",
                                                        "text": "Late note on it"})
    assert added.status_code == 409 and not Finding.objects.exists()


def test_who_reads_and_who_writes_visits(trial):
    visit = plan_visit(trial)
    for reader in ("data_manager", "analyst", MONITOR):
        assert trial.api(reader).get(f"{VISITS}/{visit}").status_code == 200, reader
    for other in ("investigator-co-01", "pharmacist-co-01", "admin", "safety_contact"):
        assert trial.api(other).get(f"{VISITS}/{visit}").status_code in (403, 404), other
        assert trial.api(other).get(VISITS).status_code == 403, other
    for writer in ("data_manager", "analyst", "dsmb_statistician"):
        response = trial.api(writer).post(f"{VISITS}/{visit}/findings", {
            "category": "other", "severity": "minor", "text": "Not theirs to say"})
        assert response.status_code == 403, writer
    assert not Finding.objects.exists()


def test_the_next_visit_is_due_by_the_protocols_interval(trial):
    """56 days (the default protocol) after the last visit done, else after the site's first
    participant; overdue once past unless a visit is planned by then."""
    from monitoring_kit import participant_with_forms

    from trialdesk.web.trials.models import Participant

    def co01() -> dict:
        sites = trial.api(MONITOR).get("/api/v1/monitoring/progress").json()["sites"]
        return next(site for site in sites if site["site"] == "CO-01")

    assert co01()["next_due"] is None  # no participant yet: nothing to monitor
    code = participant_with_forms(trial)
    today = _today()
    assert co01()["next_due"] == (today + dt.timedelta(days=56)).isoformat()
    Participant.objects.filter(code=code).update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=100))
    site = co01()
    assert site["next_due"] == (today - dt.timedelta(days=44)).isoformat()
    assert site["visit_overdue"]
    visit = plan_visit(trial, "CO-01", days=-50)
    assert not co01()["visit_overdue"] and co01()["next_planned"] == (
        today - dt.timedelta(days=50)).isoformat()
    trial.api(MONITOR).ok("PATCH", f"{VISITS}/{visit}", {"status": "done"})
    site = co01()
    assert site["last_visit"] == today.isoformat()
    assert site["next_due"] == (today + dt.timedelta(days=56)).isoformat()
    assert not site["visit_overdue"]
