"""Issue 15: an e-mail backend that fails. The alert is tried three times at once, marked failed
(logged, audited), shown on the dashboard, tried again by its task's next round once due, and
sent when the mail server is back: never silently dropped. The rounds are background tasks
(issue 20), run here with ``run_ready`` where the worker would run them."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import mail
from faults import FaultAfterAuditRecord, fail_after_the_audit_record
from login import signed_in_client
from safety_kit import INVESTIGATOR, FailingBackend, randomized, report

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.safety import alerts
from trialdesk.web.safety.models import SafetyAlert
from trialdesk.web.worker.runner import run_ready

FAILING = "safety_kit.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def failing_mail(settings):
    settings.EMAIL_BACKEND = FAILING
    FailingBackend.sends = 0
    return settings


def _report_sae(trial, capture) -> dict:
    code = randomized(trial)
    with capture(execute=True):
        response = trial.api(INVESTIGATOR).post("/api/v1/safety/adverse-events",
                                                report(code, grade=4, life_threatening=True))
    assert response.status_code == 201, response.content  # the report itself is stored
    assert FailingBackend.sends == 0  # the request sent nothing: its task does
    assert run_ready() == 1
    return response.json()


def _due_now() -> None:
    """The next round's time has come: the alerts' and their waiting task's."""
    from django_tasks_db.models import DBTaskResult

    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    SafetyAlert.objects.update(next_attempt_at=past)
    assert DBTaskResult.objects.filter(status="READY").update(run_after=past) == 1


def test_a_failing_mail_server_is_retried_shown_and_later_sent(
        trial, failing_mail, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.WARNING, logger="trialdesk.safety.alerts")
    event = _report_sae(trial, django_capture_on_commit_callbacks)
    alerts_made = list(SafetyAlert.objects.filter(event_id=event["id"]))
    assert len(alerts_made) == 2
    # three attempts each, then failed, with the error kept and a next attempt planned
    assert FailingBackend.sends == 2 * alerts.ATTEMPTS
    for alert in alerts_made:
        assert alert.status == "failed" and alert.attempts == alerts.ATTEMPTS
        assert "mail server down" in alert.last_error
        assert alert.next_attempt_at > alert.last_attempt_at
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all("could not be sent" in r.getMessage() for r in errors)
    assert AuditRecord.objects.filter(action="safety_alert_failed").count() == 2
    # the dashboard shows them: to the site's staff with the event, to the safety contact as a count
    page = signed_in_client(trial.users[INVESTIGATOR]).get("/").content.decode()
    assert 'id="safety-alerts-undelivered"' in page and event["key"] in page
    assert "mail server down" in page
    contact = signed_in_client(trial.users["safety_contact"]).get("/").content.decode()
    assert 'id="safety-alerts-undelivered"' in contact and event["key"] not in contact
    other_site = signed_in_client(trial.users["investigator-co-02"]).get("/").content.decode()
    assert 'id="safety-alerts-undelivered"' not in other_site
    # the API lists them as undelivered
    listed = trial.api("monitor").get("/api/v1/safety/alerts", undelivered=True).json()
    assert {a["status"] for a in listed} == {"failed"} and len(listed) == 2

    # the next round is a task waiting for the alerts' next attempt: nothing is tried before
    from django_tasks_db.models import DBTaskResult

    [waiting] = DBTaskResult.objects.filter(status="READY")
    assert waiting.run_after >= min(a.next_attempt_at for a in alerts_made)
    assert run_ready() == 0 and FailingBackend.sends == 2 * alerts.ATTEMPTS
    # once due, still failing: tried again, still failed, the attempts counted
    _due_now()
    assert run_ready() == 1
    assert FailingBackend.sends == 4 * alerts.ATTEMPTS
    assert set(SafetyAlert.objects.values_list("attempts", flat=True)) == {2 * alerts.ATTEMPTS}
    # failing three times or more, they are on the administrator's outbox page, without body
    admin = signed_in_client(trial.users["admin"]).get("/outbox/").content.decode()
    assert 'data-source="safety"' in admin and "mail server down" in admin
    assert alerts_made[0].body.splitlines()[0] not in admin
    # the mail server is back: the next due round sends them, and the dashboard is clear
    failing_mail.EMAIL_BACKEND = LOCMEM
    _due_now()
    assert run_ready() == 1
    assert set(SafetyAlert.objects.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 2
    assert AuditRecord.objects.filter(action="safety_alert_sent").count() == 2
    page = signed_in_client(trial.users[INVESTIGATOR]).get("/").content.decode()
    assert 'id="safety-alerts-undelivered"' not in page


def test_attempts_pause_between_them(trial, failing_mail, monkeypatch,
                                     django_capture_on_commit_callbacks):
    failing_mail.TRIALDESK_SAFETY_ALERT_BACKOFF = (0.5, 1.0)
    failing_mail.TRIALDESK_NOTIFY_EMAILS = ["sponsor-safety@example.org"]
    pauses = []
    monkeypatch.setattr(alerts.time, "sleep", pauses.append)
    _report_sae(trial, django_capture_on_commit_callbacks)
    assert pauses == [0.5, 1.0]  # between the three attempts, none after the last


def test_a_retry_round_waits_longer_each_time():
    assert [alerts.retry_delay(n).total_seconds() for n in (1, 2, 3, 10)] == [60, 120, 240, 3600]


def dump_database() -> dict:
    """The alerts and the audit trail, row by row."""
    return {"alerts": list(SafetyAlert.objects.order_by("pk").values()),
            "audit": list(AuditRecord.objects.order_by("seq").values())}


def test_recording_a_delivery_is_all_or_nothing(trial, failing_mail, monkeypatch):
    """A fault after the delivery's audit record leaves the alert as it was (still to send)."""
    from trialdesk.web.safety.actions import do_record_alert_delivery

    code = randomized(trial)
    trial.api(INVESTIGATOR).ok("POST", "/api/v1/safety/adverse-events",
                               report(code, grade=4))  # no commit in this test: still pending
    alert = SafetyAlert.objects.first()
    assert alert.status == "pending"
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        do_record_alert_delivery(actor="system", alert_id=alert.pk, error="", tries=1)
    monkeypatch.undo()
    assert dump_database() == before
    do_record_alert_delivery(actor="system", alert_id=alert.pk, error="", tries=1)
    alert.refresh_from_db()
    assert alert.status == "sent" and alert.attempts == 1
