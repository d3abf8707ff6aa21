"""Safety alerts: who is told, what they are told, and delivery that never drops one silently.

An SAE, a grade >= 4 event, a death or a SUSAR (``trialdesk.safety.rules.alert_reasons``) alerts
the sponsor's safety contact and the DSMB at once. The action that records the event makes one
:class:`SafetyAlert` per recipient inside its own transaction (so an alert exists exactly when
the event does), and enqueues the task :data:`deliver_alerts` in that same transaction; a
background worker then sends them (:func:`deliver_due`) through Django's mail backend, outside
any transaction, so neither the request nor the trial's write lock waits for a mail server. Each
send is tried up to ``ATTEMPTS`` times with a growing pause
(``settings.TRIALDESK_SAFETY_ALERT_BACKOFF``); an alert still unsent is marked failed, logged as an
error, shown on the dashboard (and on the administrator's outbox page once it keeps failing), and
tried again by the task's next round, enqueued for when its next attempt is due (issue 20).

The texts name the participant, site, event, grade, seriousness, relatedness and the reasons:
never an arm, a kit or a lot (the sponsor's safety contact is blinded).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from trialdesk.safety import rules
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_policy
from trialdesk.web.safety import clocks
from trialdesk.web.safety.models import AdverseEvent, SafetyAlert

log = logging.getLogger("trialdesk.safety.alerts")

ATTEMPTS = 3  # per delivery round
DEFAULT_BACKOFF = (1.0, 2.0)  # seconds between the attempts of one round
# the pause before the next round of a failed alert: doubles each round, at most an hour
FIRST_RETRY = dt.timedelta(minutes=1)
LAST_RETRY = dt.timedelta(hours=1)
STALE_PENDING = dt.timedelta(minutes=2)
# the roles alerted: the sponsor's safety contact, and the DSMB (who records recommendations)
SAFETY_CONTACT_ROLE = "safety_contact"
DSMB_PERMISSION = "recommend"

REASON_TEXTS = {
    rules.SAE: "serious adverse event",
    rules.GRADE_4_PLUS: "grade 4 or 5 (CTCAE v5)",
    rules.DEATH: "death",
    rules.SUSAR: "suspected unexpected serious adverse reaction (SUSAR)",
}


def recipient_roles() -> list[str]:
    """The roles alerted: the safety contact and every role that records DSMB recommendations."""
    policy = get_policy()
    roles = [code for code in policy.role_codes
             if code == SAFETY_CONTACT_ROLE or policy.has_permission(code, DSMB_PERMISSION)]
    return roles


def recipients() -> list[str]:
    """The addresses alerted: the active users of those roles with an e-mail address, and the
    trial's notification addresses (``TRIALDESK_NOTIFY_EMAILS``: the sponsor's and the DSMB's
    mailboxes); each once."""
    users = get_user_model().objects.filter(
        is_active=True, memberships__role__in=recipient_roles(), memberships__active=True,
    ).exclude(email="")
    addresses = [*settings.TRIALDESK_NOTIFY_EMAILS,
                 *sorted(users.values_list("email", flat=True))]
    return list(dict.fromkeys(address.strip() for address in addresses if address.strip()))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def compose(event: AdverseEvent, reasons: Iterable[str]) -> tuple[str, str]:
    """Return the subject and body of an alert: no arm, no kit, no lot."""
    reasons = list(reasons)
    named = "; ".join(REASON_TEXTS[reason] for reason in reasons)
    criteria = ", ".join(name.replace("_", " ") for name in rules.SERIOUSNESS_CRITERIA
                         if getattr(event, name)) or "none"
    subject = (f"[trialdesk] Safety alert {event.key}: {named} "
               f"({event.participant.code}, {event.site.code})")
    lines = [
        f"Safety alert for adverse event {event.key}.",
        f"Why: {named}.",
        "",
        f"Participant: {event.participant.code} (site {event.site.code})",
        f"Event (verbatim): {event.term}",
    ]
    if event.coded:
        lines.append(f"Coded (MedDRA): {event.pt_name or event.llt_name}")
    lines += [
        f"Onset: {event.onset_date.isoformat()}",
        f"Grade (CTCAE v5): {event.grade}",
        f"Serious: {_yes(bool(event.criteria))} (criteria: {criteria})",
        f"Relatedness: {event.relatedness.replace('_', ' ')}",
        f"Expectedness: {event.expectedness}",
        f"Outcome: {event.outcome.replace('_', ' ')}",
        f"Investigator aware: {event.investigator_aware_at.isoformat()}",
    ]
    for due in clocks.case_deadlines(event):
        lines.append(f"Due: {due['label']} by {due['due_local']} ({due['time_zone']})")
    lines += ["", "The case is in the trial server under Safety. This message names no "
              "treatment arm.", ""]
    return subject, "\n".join(lines)


def create_alerts(event: AdverseEvent, reasons: list[str], now: dt.datetime) -> list[SafetyAlert]:
    """Make one pending alert per recipient (inside the caller's transaction)."""
    if not reasons:
        return []
    subject, body = compose(event, reasons)
    addresses = recipients()
    if not addresses:
        log.error("safety alert for %s (%s) has no recipient: set TRIALDESK_NOTIFY_EMAILS or "
                  "give the safety contact and the DSMB e-mail addresses", event.key, reasons)
    # sent as soon as the transaction commits; a later request or command sends it only if that
    # did not happen (the process ended first), after a grace period
    later = now + STALE_PENDING
    return [SafetyAlert.objects.create(event=event, reasons=reasons, recipient=address,
                                       subject=subject, body=body, created_at=now,
                                       next_attempt_at=later)
            for address in addresses]


def _backoff() -> tuple[float, ...]:
    return tuple(getattr(settings, "TRIALDESK_SAFETY_ALERT_BACKOFF", DEFAULT_BACKOFF))


def _send(alert: SafetyAlert) -> tuple[str, int]:
    """Try to send ``alert`` up to ATTEMPTS times; return ("" when sent, else the last error)
    and the number of attempts made."""
    pauses = _backoff()
    error = ""
    for attempt in range(ATTEMPTS):
        try:
            sent = send_mail(subject=alert.subject, message=alert.body,
                             from_email=settings.DEFAULT_FROM_EMAIL,
                             recipient_list=[alert.recipient], fail_silently=False)
        except Exception as failure:  # any backend failure: keep it, retry, never drop
            error = f"{type(failure).__name__}: {failure}"[:2000] or type(failure).__name__
        else:
            if sent:
                return "", attempt + 1
            error = "the mail backend sent nothing"
        log.warning("safety alert %s to %s: attempt %d of %d failed: %s", alert.pk,
                    alert.recipient, attempt + 1, ATTEMPTS, error)
        if attempt + 1 < ATTEMPTS and pauses:
            time.sleep(pauses[min(attempt, len(pauses) - 1)])
    return error, ATTEMPTS


def retry_delay(rounds: int) -> dt.timedelta:
    """The pause before the next round after ``rounds`` failed rounds (doubling, capped)."""
    return min(FIRST_RETRY * (2 ** max(rounds - 1, 0)), LAST_RETRY)


_delivering = threading.Lock()


def deliver_due(now: dt.datetime | None = None, *, alert_ids: Iterable[int] | None = None
                ) -> dict[str, int]:
    """Send every alert that is pending, or failed and due again; record each outcome.

    Returns counts ``{"sent": n, "failed": m}``. ``alert_ids``: send these (just made), due or
    not; else sweep the due ones, one sweep at a time per process (a second sweep returns at
    once). Call it outside any transaction.
    """
    from trialdesk.web.safety.actions import do_record_alert_delivery

    # the sweep of due alerts runs once at a time per process; alerts named by the transaction
    # that made them are sent at once, whatever else is being sent
    sweep = alert_ids is None
    if sweep and not _delivering.acquire(blocking=False):
        return {"sent": 0, "failed": 0}
    try:
        now = now or clock.now()
        due = SafetyAlert.objects.filter(
            status__in=(SafetyAlert.PENDING, SafetyAlert.FAILED)).order_by("pk")
        if alert_ids is not None:  # sent now, whatever their next attempt says
            due = due.filter(pk__in=list(alert_ids))
        else:
            due = due.filter(next_attempt_at__lte=now)
        counts = {"sent": 0, "failed": 0}
        for alert in list(due):
            error, tries = _send(alert)
            do_record_alert_delivery(actor="system", alert_id=alert.pk, error=error, tries=tries)
            if error:
                log.error("safety alert %s (%s) to %s could not be sent: %s; it will be tried "
                          "again", alert.pk, alert.subject, alert.recipient, error)
            counts["failed" if error else "sent"] += 1
        return counts
    finally:
        if sweep:
            _delivering.release()


def undelivered():
    """The alerts not sent yet (pending or failed), oldest first."""
    return SafetyAlert.objects.exclude(status=SafetyAlert.SENT).select_related(
        "event__participant", "event__site").order_by("created_at", "pk")


@task()
def deliver_alerts(alert_ids: list[int] | None = None) -> dict[str, int]:
    """The background task that sends alerts: ``alert_ids`` (just made), else every one due;
    then it enqueues itself for the next round of those still failing."""
    counts = deliver_due(alert_ids=alert_ids)
    schedule_next_round()
    return counts


def schedule_next_round() -> None:
    """Enqueue a round for the earliest next attempt of a failed alert, unless one is waiting.

    The pause is counted on the trial's clock (a simulated one in a demo) and given to the task
    in real time, at least ``FIRST_RETRY``.
    """
    due = SafetyAlert.objects.filter(status=SafetyAlert.FAILED).order_by(
        "next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if due is None:
        return
    run_after = timezone.now() + max(due - clock.now(), FIRST_RETRY)
    waiting = DBTaskResult.objects.filter(task_path=deliver_alerts.module_path,
                                          status=TaskResultStatus.READY)
    if not waiting.exists():
        deliver_alerts.using(run_after=run_after).enqueue()


def undelivered_rows(keeps_failing: int) -> list[dict]:
    """The alerts that keep failing, for the administrator's outbox page: no body."""
    from trialdesk.web.outbox.registry import row

    return [row(source="safety", pk=alert.pk, recipient=alert.recipient, subject=alert.subject,
                attempts=alert.attempts, status=alert.status, created_at=alert.created_at,
                last_attempt_at=alert.last_attempt_at, error=alert.last_error, withheld=False)
            for alert in SafetyAlert.objects.filter(
                status=SafetyAlert.FAILED, attempts__gte=keeps_failing).order_by("-pk")]
