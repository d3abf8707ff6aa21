"""Issue 20: every notification is an e-mail sent by a task, retried with back-off, logged, and
shown to the sponsor's administrator when it keeps failing, without anything unblinded."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult
from enrollment import randomize
from login import signed_in_client
from outbox_kit import FAILING, LOCMEM, FailingBackend

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.outbox import mail as outbox
from trialdesk.web.outbox.models import OutgoingEmail
from trialdesk.web.trials.presenters import arm_label
from trialdesk.web.worker.runner import run_ready

REASON = {"reason": "anaphylaxis: the treating team needs the arm"}


@pytest.fixture
def failing(settings):
    settings.EMAIL_BACKEND = FAILING
    settings.TRIALDESK_NOTIFY_EMAILS = ["sponsor-safety@example.org"]
    settings.TRIALDESK_EMAIL_FIRST_RETRY_SECONDS = 0  # each retry ready at once: no waiting
    FailingBackend.sends = 0
    return settings


def _unblind(trial) -> str:
    code, _ = randomize(trial.api("investigator-co-01"))
    answer = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/unblind", REASON)
    assert answer.status_code == 201, answer.content
    return code


def test_a_failing_mail_server_is_retried_logged_shown_and_sent_when_back(
        trial, failing, caplog):
    code = _unblind(trial)
    [email] = OutgoingEmail.objects.all()
    assert (email.status, email.attempts, email.kind) == ("pending", 0, "emergency_unblinding")
    with caplog.at_level(logging.INFO, logger="trialdesk.outbox"):
        assert run_ready() == outbox.MAX_ATTEMPTS  # the first try and each retry: one task each
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert FailingBackend.sends == outbox.MAX_ATTEMPTS and mail.outbox == []
    assert "SMTPDataError" in email.last_error
    # logged: a warning per failed attempt, an error when given up
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(warnings) == outbox.MAX_ATTEMPTS - 1 and len(errors) == 1
    assert "given up" in errors[0].getMessage() and "sponsor-safety" in errors[0].getMessage()
    # audited as the system, attempt by attempt
    actions = list(AuditRecord.objects.filter(model="outgoing_email").values_list(
        "action", "actor"))
    assert actions == [("email_retrying", "system")] * (outbox.MAX_ATTEMPTS - 1) + [
        ("email_failed", "system")]
    # shown to the sponsor's administrator
    admin = signed_in_client(trial.users["admin"])
    page = admin.get("/outbox/").content.decode()
    assert 'id="undelivered-email"' in page and "sponsor-safety@example.org" in page
    assert f"Emergency unblinding of {code}" in page and "SMTPDataError" in page
    # the mail server is back; the administrator tries it again
    failing.EMAIL_BACKEND = LOCMEM
    assert admin.post(f"/outbox/{email.pk}/retry").status_code == 302
    assert run_ready() == 1
    email.refresh_from_db()
    assert email.status == "sent" and [m.to for m in mail.outbox] == [[email.recipient]]
    assert AuditRecord.objects.filter(action="retry_email", actor="admin").count() == 1
    assert 'id="no-undelivered-email"' in admin.get("/outbox/").content.decode()


def test_each_retry_waits_twice_as_long_up_to_an_hour(trial, failing):
    failing.TRIALDESK_EMAIL_FIRST_RETRY_SECONDS = 60
    _unblind(trial)
    email = OutgoingEmail.objects.get()
    assert run_ready() == 1  # the first attempt; the retry waits a minute
    email.refresh_from_db()
    [waiting] = DBTaskResult.objects.filter(status="READY")
    assert email.status == "retrying" and waiting.run_after == email.next_attempt_at
    assert [outbox.retry_delay(n) for n in (1, 2, 3, 7, 8)] == [
        dt.timedelta(minutes=m) for m in (1, 2, 4, 60, 60)]


def test_a_task_run_again_does_not_send_a_sent_message_twice(trial, settings):
    settings.EMAIL_BACKEND = LOCMEM
    settings.TRIALDESK_NOTIFY_EMAILS = ["sponsor@example.org"]
    _unblind(trial)
    email = OutgoingEmail.objects.get()
    assert run_ready() == 1 and len(mail.outbox) == 1
    assert outbox.deliver_email.call(email.pk) == "sent"  # its worker died after the send
    assert len(mail.outbox) == 1


def test_the_administrator_sees_no_body_and_no_arm_of_an_unblinded_message(trial, failing):
    arm = arm_label("msc", "en")
    body = f"Watched arm: {arm}. With the defined serious toxicity: 2"
    with outbox_transaction():
        outbox.queue_mail("dsmb_signal", "[trialdesk] DSMB: the stopping rule was met",
                          body, ["dsmb@example.org"], unblinded=True)
    run_ready()
    email = OutgoingEmail.objects.get()
    assert email.status == "failed" and arm in email.last_error  # the server quoted the body
    page = signed_in_client(trial.users["admin"]).get("/outbox/").content.decode()
    assert "dsmb@example.org" in page and "DSMB: the stopping rule was met" in page
    assert "smtplib.SMTPDataError" in page and "withheld" in page
    assert arm not in page and "serious toxicity" not in page and "refused" not in page
    # nor in the audit trail, which the administrator reads
    changes = " ".join(str(r.changes) for r in AuditRecord.objects.filter(model="outgoing_email"))
    assert arm not in changes and "toxicity" not in changes


def test_only_the_administrator_reads_the_outbox_page_in_english_and_spanish(trial):
    for role in ("investigator-co-01", "dsmb_statistician", "monitor"):
        assert signed_in_client(trial.users[role]).get("/outbox/").status_code == 403
        assert 'href="/outbox/"' not in signed_in_client(trial.users[role]).get(
            "/").content.decode()
    admin = signed_in_client(trial.users["admin"])
    assert admin.get("/outbox/").status_code == 200
    assert 'href="/outbox/"' in admin.get("/").content.decode()  # in the menu
    spanish = signed_in_client(trial.users["admin"], language="es").get("/outbox/")
    page = spanish.content.decode()
    assert "<h1>Correo no entregado</h1>" in page
    assert "Todas las notificaciones se entregaron o están en camino." in page


def outbox_transaction():
    from django.db import transaction

    return transaction.atomic()
