"""The stopping rule's alerts to the DSMB: e-mail through Django's backend, retried, logged.

The message gives the watched arm's counts, so it goes to the unblinded DSMB only: the active
users whose role holds ``unblinded_reports`` and ``settings.TRIALDESK_DSMB_EMAILS``. The action
that records the signal enqueues the task :data:`deliver_alerts` in its own transaction; a
background worker sends them. Each send is tried ``ATTEMPTS`` times with the safety alerts'
pauses; a failure is recorded (audited), logged as an error and tried again by the task's next
round, after a pause that doubles each round (at most an hour), never dropped (issue 20).
Blinded roles see only that the DSMB was alerted, and when (``api``/``views``); the
administrator's outbox page lists an alert that keeps failing without its body or error text.
Each alert is written in its recipient's language (``outbox.languages``; issue 19).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django_tasks import task

from trialdesk.blinding import Permission
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.dsmb.models import SafetySignal, SignalAlert
from trialdesk.web.outbox.languages import address_languages, compose_per_language
from trialdesk.web.trials.presenters import arm_label

log = logging.getLogger("trialdesk.dsmb.alerts")
ATTEMPTS = 3
DEFAULT_BACKOFF = (1.0, 2.0)
FIRST_RETRY = dt.timedelta(minutes=1)
LAST_RETRY = dt.timedelta(hours=1)


def recipient_languages() -> dict[str, str]:
    """The addresses alerted, each once, with the language its alert is written in:
    ``TRIALDESK_DSMB_EMAILS`` in the trial's language, the active users whose role holds
    ``unblinded_reports`` in theirs (``outbox.languages``)."""
    policy = get_policy()
    roles = [code for code in policy.role_codes
             if policy.has_permission(code, Permission.UNBLINDED_REPORTS)]
    users = get_user_model().objects.filter(
        is_active=True, memberships__role__in=roles, memberships__active=True,
    ).exclude(email="").distinct()
    return address_languages(getattr(settings, "TRIALDESK_DSMB_EMAILS", ()), users)


def recipients() -> list[str]:
    """The addresses alerted (:func:`recipient_languages`), each once."""
    return list(recipient_languages())


def _number(value: float) -> str:
    """A parameter as the current language writes it, in its shortest form (0,3 or 0.3)."""
    return number_format(f"{value:g}")


def compose(signal: SafetySignal) -> tuple[str, str]:
    """The subject and body of the alert in the current language (call it inside
    ``translation.override``): the watched arm's counts, for the unblinded DSMB only."""
    rule = get_protocol().safety_monitoring
    arm = arm_label(rule.arm, translation.get_language() or "en")
    subject = gettext("[trialdesk] DSMB: the safety stopping rule was met (unblinded, DSMB "
                      "only)")
    body = "\n".join([
        gettext("The protocol's Bayesian safety stopping rule was met on %(when)s (UTC).")
        % {"when": date_format(timezone.localtime(signal.at, dt.UTC), "DATETIME_FORMAT")},
        "",
        gettext("Watched arm: %(arm)s") % {"arm": arm},
        gettext("Participants treated (infusion recorded): %(count)s")
        % {"count": signal.treated},
        gettext("With the defined serious toxicity: %(count)s") % {"count": signal.events},
        gettext("P(rate > %(threshold)s | data) = %(probability)s, over the rule's cutoff of "
                "%(cutoff)s, with the prior Beta(%(a)s, %(b)s)")
        % {"threshold": _number(rule.threshold), "cutoff": _number(rule.cutoff),
           "probability": number_format(f"{signal.probability:.4f}"),
           "a": _number(rule.prior[0]), "b": _number(rule.prior[1])},
        "",
        gettext("Unblinded information for the DSMB only: do not forward. The closed report is "
                "in the trial server under DSMB."),
        "",
    ])
    return subject, body


def create_alerts(signal: SafetySignal, now: dt.datetime) -> list[SignalAlert]:
    """One alert per recipient, in the recipient's language (inside the caller's transaction);
    each row keeps the subject and body as sent."""
    addresses = recipient_languages()
    if not addresses:
        log.error("DSMB safety signal %s has no recipient: give the DSMB users e-mail addresses "
                  "or set TRIALDESK_DSMB_EMAILS", signal.pk)
    texts = compose_per_language(lambda: compose(signal), addresses.values())
    return [SignalAlert.objects.create(signal=signal, recipient=address,
                                       subject=texts[language][0], body=texts[language][1],
                                       created_at=now)
            for address, language in addresses.items()]


def _send(alert: SignalAlert) -> tuple[str, int]:
    pauses = tuple(getattr(settings, "TRIALDESK_SAFETY_ALERT_BACKOFF", DEFAULT_BACKOFF))
    error = ""
    for attempt in range(ATTEMPTS):
        try:
            if send_mail(subject=alert.subject, message=alert.body,
                         from_email=settings.DEFAULT_FROM_EMAIL,
                         recipient_list=[alert.recipient], fail_silently=False):
                return "", attempt + 1
            error = "the mail backend sent nothing"
        except Exception as failure:  # any backend failure: keep it, retry, never drop
            error = f"{type(failure).__name__}: {failure}"[:2000]
        log.warning("DSMB alert %s: attempt %d of %d failed: %s", alert.pk, attempt + 1,
                    ATTEMPTS, error)
        if attempt + 1 < ATTEMPTS and pauses:
            time.sleep(pauses[min(attempt, len(pauses) - 1)])
    return error, ATTEMPTS


def deliver(alert_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Send the pending and failed alerts (those of ``alert_ids``, else all); outside any
    transaction. Returns ``{"sent": n, "failed": m}``."""
    from trialdesk.web.dsmb.actions import do_record_signal_delivery

    due = SignalAlert.objects.exclude(status=SignalAlert.SENT).order_by("pk")
    if alert_ids is not None:
        due = due.filter(pk__in=list(alert_ids))
    counts = {"sent": 0, "failed": 0}
    for alert in list(due):
        error, tries = _send(alert)
        do_record_signal_delivery(actor="system", alert_id=alert.pk, error=error, tries=tries)
        if error:
            log.error("DSMB alert %s to %s could not be sent: %s", alert.pk, alert.recipient,
                      error)
        counts["failed" if error else "sent"] += 1
    return counts


def retry_delay(rounds: int) -> dt.timedelta:
    """The pause before the next round after ``rounds`` failed rounds (doubling, capped)."""
    return min(FIRST_RETRY * (2 ** max(rounds - 1, 0)), LAST_RETRY)


@task()
def deliver_alerts(alert_ids: list[int]) -> dict[str, int]:
    """The background task that sends these alerts; those still failing get a next round."""
    counts = deliver(alert_ids)
    failing = list(SignalAlert.objects.filter(pk__in=alert_ids, status=SignalAlert.FAILED)
                   .values_list("pk", "attempts"))
    if failing:
        rounds = max(-(-attempts // ATTEMPTS) for _, attempts in failing)
        deliver_alerts.using(run_after=timezone.now() + retry_delay(rounds)).enqueue(
            [pk for pk, _ in failing])
    return counts


def undelivered_rows(keeps_failing: int) -> list[dict]:
    """The alerts that keep failing, for the administrator's outbox page (a blinded role): the
    body gives the watched arm's counts, so neither it nor the error's text is shown."""
    from trialdesk.web.outbox.registry import error_class, row

    return [row(source="dsmb", pk=alert.pk, recipient=alert.recipient, subject=alert.subject,
                attempts=alert.attempts, status=alert.status, created_at=alert.created_at,
                last_attempt_at=None, error=error_class(alert.last_error), withheld=True)
            for alert in SignalAlert.objects.filter(
                status=SignalAlert.FAILED, attempts__gte=keeps_failing).order_by("-pk")]
