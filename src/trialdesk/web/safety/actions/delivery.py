"""Recording the outcome of a safety alert's delivery: sent, or failed and when to try again."""

from __future__ import annotations

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.audit import append_audit
from trialdesk.web.safety.models import SafetyAlert


@action(None)
def do_record_alert_delivery(*, actor: str, alert_id: int, error: str, tries: int
                             ) -> SafetyAlert:
    """Record one delivery round of an alert (``error`` empty: sent). Called by the delivery
    (``safety.alerts.deliver_due``), never by a person: ``actor`` is "system".

    A failed alert stays failed, with its error and the time of its next round, until a round
    sends it: it is shown on the dashboard meanwhile and never dropped.
    """
    from trialdesk.web.safety.alerts import retry_delay

    alert = SafetyAlert.objects.select_for_update().select_related("event").get(pk=alert_id)
    if alert.status == SafetyAlert.SENT:
        return alert  # another process sent it meanwhile
    now = clock.now()
    old_status, old_attempts = alert.status, alert.attempts
    alert.attempts += tries
    alert.last_attempt_at = now
    if error:
        alert.status = SafetyAlert.FAILED
        alert.last_error = error
        rounds = -(-alert.attempts // 3)
        alert.next_attempt_at = now + retry_delay(rounds)
    else:
        alert.status = SafetyAlert.SENT
        alert.sent_at = now
        alert.next_attempt_at = None
    alert.save()
    changes = {"status": {"old": old_status, "new": alert.status},
               "attempts": {"old": old_attempts, "new": alert.attempts},
               "recipient": {"old": alert.recipient, "new": alert.recipient}}
    if error:
        changes["last_error"] = {"old": None, "new": error[:500]}
    append_audit(actor=actor, action="safety_alert_" + ("failed" if error else "sent"),
                 model="safety_alert", object_id=str(alert.pk), changes=changes,
                 reason=f"alert of {alert.event.key}")
    return alert
