"""Notifications by e-mail, sent by a background task, retried with back-off, never dropped.

An action with something to tell calls :func:`queue_mail` inside its own transaction: one
:class:`OutgoingEmail` per recipient and, in the same transaction, one ``deliver_email`` task
each, so a message exists exactly when what it tells was committed, and the request never waits
for a mail server. The task (run by ``trialdesk worker``) sends it through Django's mail backend;
a failure is logged and recorded (audited, as the system) and the task is enqueued again after
a pause that doubles each time (``retry_delay``), up to ``MAX_ATTEMPTS``; then the message is
given up, logged as an error, and stays on the administrator's page (``views``), where it can be
tried again. From ``KEEPS_FAILING`` failed attempts on it is listed there already.

Delivery is at least once: a worker killed between the mail server's acceptance and the record
of it sends the message again when its task is run again (no mail protocol lets it know).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, NotFound
from trialdesk.web.outbox.languages import addresses_of, compose_per_language
from trialdesk.web.outbox.models import OutgoingEmail

log = logging.getLogger("trialdesk.outbox")

MAX_ATTEMPTS = 8
KEEPS_FAILING = 3
DEFAULT_FIRST_RETRY_SECONDS = 60.0
LAST_RETRY = dt.timedelta(hours=1)
SYSTEM = "system"
RETRY_PERMISSION = "manage_users"  # the sponsor's administrator


def retry_delay(attempts: int) -> dt.timedelta:
    """The pause after ``attempts`` failed attempts: the first one's, doubling, at most an hour
    (``TRIALDESK_EMAIL_FIRST_RETRY_SECONDS``, 60 s by default)."""
    first = float(getattr(settings, "TRIALDESK_EMAIL_FIRST_RETRY_SECONDS",
                          DEFAULT_FIRST_RETRY_SECONDS))
    return min(dt.timedelta(seconds=first * 2 ** max(attempts - 1, 0)), LAST_RETRY)


def queue_mail(kind: str, subject: str, body: str, recipients: Iterable[str], *,
               unblinded: bool = False) -> list[OutgoingEmail]:
    """Queue one message per recipient (each address once), each with its delivery task.

    Call it inside the transaction of the action that has something to tell: the messages are
    then written, and sent, only if that action commits. ``unblinded``: the body may name an arm
    (its recipients are unblinded roles); the administrator's page never shows it.
    """
    now = clock.now()
    addresses = list(dict.fromkeys(a.strip() for a in recipients if a and a.strip()))
    if not addresses:
        log.error("e-mail %r (%s) has no recipient", subject, kind)
    emails = []
    for address in addresses:
        email = OutgoingEmail.objects.create(kind=kind, recipient=address, subject=subject[:300],
                                             body=body, unblinded=unblinded, created_at=now)
        deliver_email.enqueue(email.pk)
        emails.append(email)
    return emails


def queue_translated_mail(kind: str, compose: Callable[[], tuple[str, str]],
                          recipients: Iterable[str], *, unblinded: bool = False
                          ) -> list[OutgoingEmail]:
    """:func:`queue_mail`, each recipient's message in their language (``outbox.languages``:
    a user's address in the user's, any other in the trial's). ``compose`` returns the subject
    and body in the current language; it is called once per language needed, inside
    ``translation.override``."""
    languages = addresses_of(recipients)
    if not languages:
        return queue_mail(kind, compose()[0], "", [], unblinded=unblinded)
    texts = compose_per_language(compose, languages.values())
    emails = []
    for language, (subject, body) in texts.items():
        emails += queue_mail(kind, subject, body,
                             [a for a, chosen in languages.items() if chosen == language],
                             unblinded=unblinded)
    return emails


def _send(email: OutgoingEmail) -> tuple[str, str]:
    """Send once; return ("", "") when sent, else the error's class and text."""
    message = EmailMessage(subject=email.subject, body=email.body,
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[email.recipient])
    try:
        if message.send(fail_silently=False):
            return "", ""
        return "NothingSent", "the mail backend sent nothing"
    except Exception as failure:  # any backend failure: recorded, retried, never dropped
        kind = f"{type(failure).__module__}.{type(failure).__qualname__}"
        return kind[:200], (f"{type(failure).__name__}: {failure}"[:2000])


@task()
def deliver_email(email_id: int) -> str:
    """Send one queued message and record the attempt; return its status afterwards.

    Run again (its worker died, or the administrator asked), a message already sent or given up
    is left alone.
    """
    email = OutgoingEmail.objects.filter(pk=email_id).first()
    if email is None or email.status in (OutgoingEmail.SENT, OutgoingEmail.FAILED):
        return email.status if email else "forgotten"
    error_type, error = _send(email)
    return do_record_email_attempt(email_id=email_id, error_type=error_type, error=error).status


def _shown_error(email: OutgoingEmail, error_type: str, error: str) -> str:
    # the error's text may quote the message; for an unblinded one, its class only
    return error_type if email.unblinded else error


@action(None)
def do_record_email_attempt(*, email_id: int, error_type: str, error: str) -> OutgoingEmail:
    """Record one delivery attempt of a message (``error`` empty: sent), as the system.

    A failure before ``MAX_ATTEMPTS`` enqueues the message's task again after ``retry_delay``;
    the last one gives the message up (it stays listed for the administrator).
    """
    email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
    if email.status in (OutgoingEmail.SENT, OutgoingEmail.FAILED):
        return email  # another run of its task recorded it meanwhile
    old = {"status": email.status, "attempts": email.attempts}
    now = clock.now()
    email.attempts += 1
    email.last_attempt_at = now
    if not error:
        email.status, email.sent_at, email.next_attempt_at = OutgoingEmail.SENT, now, None
        log.info("e-mail %s (%s) to %s sent", email.pk, email.kind, email.recipient)
    else:
        email.last_error, email.last_error_type = error, error_type
        shown = _shown_error(email, error_type, error)
        if email.attempts >= MAX_ATTEMPTS:
            email.status, email.next_attempt_at = OutgoingEmail.FAILED, None
            log.error("e-mail %s (%s) to %s given up after %d attempts: %s", email.pk,
                      email.kind, email.recipient, email.attempts, shown)
        else:
            email.status = OutgoingEmail.RETRYING
            email.next_attempt_at = timezone.now() + retry_delay(email.attempts)
            deliver_email.using(run_after=email.next_attempt_at).enqueue(email.pk)
            log.warning("e-mail %s (%s) to %s: attempt %d of %d failed, next at %s: %s",
                        email.pk, email.kind, email.recipient, email.attempts, MAX_ATTEMPTS,
                        email.next_attempt_at.isoformat(), shown)
    email.save()
    changes = {"status": {"old": old["status"], "new": email.status},
               "attempts": {"old": old["attempts"], "new": email.attempts},
               "recipient": {"old": email.recipient, "new": email.recipient}}
    if error:
        changes["last_error"] = {"old": None,
                                 "new": _shown_error(email, error_type, error)[:500]}
    append_audit(actor=SYSTEM, action=f"email_{email.status}", model="outgoing_email",
                 object_id=str(email.pk), changes=changes, reason=email.kind)
    return email


@action(RETRY_PERMISSION)
def do_retry_email(actor: Actor, *, email_id: int) -> OutgoingEmail:
    """Try a message that was not sent again now (the administrator, from the outbox page).

    Its waiting task, if it has one, is brought forward; a message given up gets a new one,
    which tries once more.
    """
    email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
    if email is None:
        raise NotFound("no such e-mail")
    if email.status == OutgoingEmail.SENT:
        raise Conflict("already_sent", "this e-mail was sent")
    old = email.status
    now = timezone.now()
    waiting = DBTaskResult.objects.filter(
        task_path=deliver_email.module_path, args_kwargs__args__0=email.pk,
        status=TaskResultStatus.READY)
    if not waiting.update(run_after=now):
        deliver_email.enqueue(email.pk)
    email.status, email.next_attempt_at = OutgoingEmail.RETRYING, now
    email.save(update_fields=["status", "next_attempt_at"])
    append_audit(actor=actor.username, action="retry_email", model="outgoing_email",
                 object_id=str(email.pk), changes={"status": {"old": old, "new": email.status}},
                 reason=email.kind)
    return email


def keeps_failing():
    """The messages to show the administrator: given up, or failed ``KEEPS_FAILING`` times."""
    return OutgoingEmail.objects.filter(
        status__in=(OutgoingEmail.RETRYING, OutgoingEmail.FAILED),
        attempts__gte=KEEPS_FAILING).order_by("-created_at", "-pk")
