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
never an arm, a kit or a lot (the sponsor's safety contact is blinded). Each alert is written in
its recipient's language (``outbox.languages``), dates and times as that language writes them in
the site's time zone; the row keeps the subject and body as sent (issue 19).
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
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, pgettext
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from trialdesk.safety import rules
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_policy
from trialdesk.web.outbox.languages import address_languages, compose_per_language
from trialdesk.web.safety import clocks
from trialdesk.web.safety.models import AdverseEvent, SafetyAlert
from trialdesk.web.safety.templatetags.safety_tags import safety_label

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
    rules.SAE: gettext_lazy("serious adverse event"),
    rules.GRADE_4_PLUS: gettext_lazy("grade 4 or 5 (CTCAE v5)"),
    rules.DEATH: gettext_lazy("death"),
    rules.SUSAR: gettext_lazy("suspected unexpected serious adverse reaction (SUSAR)"),
}


def recipient_roles() -> list[str]:
    """The roles alerted: the safety contact and every role that records DSMB recommendations."""
    policy = get_policy()
    roles = [code for code in policy.role_codes
             if code == SAFETY_CONTACT_ROLE or policy.has_permission(code, DSMB_PERMISSION)]
    return roles


def recipient_languages() -> dict[str, str]:
    """The addresses alerted, each once, with the language its alert is written in: the trial's
    notification addresses (``TRIALDESK_NOTIFY_EMAILS``: the sponsor's and the DSMB's mailboxes)
    in the trial's language, and the active users of those roles with an e-mail address in
    theirs (``outbox.languages``)."""
    users = get_user_model().objects.filter(
        is_active=True, memberships__role__in=recipient_roles(), memberships__active=True,
    ).exclude(email="").distinct()
    return address_languages(settings.TRIALDESK_NOTIFY_EMAILS, users)


def recipients() -> list[str]:
    """The addresses alerted (:func:`recipient_languages`), each once."""
    return list(recipient_languages())


def _yes(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def _when(at: dt.datetime, site_code: str) -> str:
    """A moment in the site's time zone, as the current language writes it, with the zone."""
    shown = date_format(clocks.local(at, site_code), "DATETIME_FORMAT")
    return f"{shown} ({clocks.site_time_zone(site_code)})"


def compose(event: AdverseEvent, reasons: Iterable[str]) -> tuple[str, str]:
    """Return the subject and body of an alert in the current language: no arm, no kit, no lot.

    Call it inside ``translation.override`` for a recipient's language (``create_alerts``).
    """
    reasons = list(reasons)
    named = "; ".join(str(REASON_TEXTS[reason]) for reason in reasons)
    criteria = ", ".join(safety_label(name) for name in rules.SERIOUSNESS_CRITERIA
                         if getattr(event, name)) or pgettext("seriousness criteria", "none")
    facts = {"key": event.key, "reasons": named, "participant": event.participant.code,
             "site": event.site.code}
    subject = gettext("[trialdesk] Safety alert %(key)s: %(reasons)s (%(participant)s, "
                      "%(site)s)") % facts
    lines = [
        gettext("Safety alert for adverse event %(key)s.") % facts,
        gettext("Why: %(reasons)s.") % facts,
        "",
        gettext("Participant: %(participant)s (site %(site)s)") % facts,
        gettext("Event (verbatim): %(term)s") % {"term": event.term},
    ]
    if event.coded:
        lines.append(gettext("Coded (MedDRA): %(term)s")
                     % {"term": event.pt_name or event.llt_name})
    lines += [
        gettext("Onset: %(date)s") % {"date": date_format(event.onset_date, "DATE_FORMAT")},
        gettext("Grade (CTCAE v5): %(grade)s") % {"grade": event.grade},
        gettext("Serious: %(serious)s; seriousness criteria met: %(criteria)s")
        % {"serious": _yes(bool(event.criteria)), "criteria": criteria},
        gettext("Relatedness: %(value)s") % {"value": safety_label(event.relatedness)},
        gettext("Expectedness: %(value)s") % {"value": safety_label(event.expectedness)},
        gettext("Outcome: %(value)s") % {"value": safety_label(event.outcome)},
        gettext("Investigator aware: %(when)s")
        % {"when": _when(event.investigator_aware_at, event.site.code)},
    ]
    for due in clocks.case_deadlines(event):
        lines.append(gettext("Due: %(report)s by %(when)s")
                     % {"report": safety_label(due["kind"]),
                        "when": _when(due["due"], event.site.code)})
    lines += ["", gettext("The case is in the trial server under Safety. This message names no "
                          "treatment arm."), ""]
    return subject, "\n".join(lines)


def create_alerts(event: AdverseEvent, reasons: list[str], now: dt.datetime) -> list[SafetyAlert]:
    """Make one pending alert per recipient, in the recipient's language (inside the caller's
    transaction); each row keeps the subject and body as sent."""
    if not reasons:
        return []
    addresses = recipient_languages()
    if not addresses:
        log.error("safety alert for %s (%s) has no recipient: set TRIALDESK_NOTIFY_EMAILS or "
                  "give the safety contact and the DSMB e-mail addresses", event.key, reasons)
    texts = compose_per_language(lambda: compose(event, reasons), addresses.values())
    # sent as soon as the transaction commits; a later request or command sends it only if that
    # did not happen (the process ended first), after a grace period
    later = now + STALE_PENDING
    return [SafetyAlert.objects.create(event=event, reasons=reasons, recipient=address,
                                       subject=texts[language][0], body=texts[language][1],
                                       created_at=now, next_attempt_at=later)
            for address, language in addresses.items()]


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
