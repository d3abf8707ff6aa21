"""Retrying undelivered safety alerts on later requests (there is no task queue yet).

After each response, at most once every ``TRIALDESK_SAFETY_ALERT_RETRY_SECONDS`` (30 s) per
process, the alerts that are pending or failed and due again are sent (``alerts.deliver_due``).
A failure there is logged, never an error of the user's request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("trialdesk.safety.alerts")
DEFAULT_INTERVAL = 30.0

# None until the first check: the monotonic clock may start near 0 (a machine just booted)
_last_check: float | None = None
_lock = threading.Lock()


def _due_for_a_check() -> bool:
    global _last_check
    interval = float(getattr(settings, "TRIALDESK_SAFETY_ALERT_RETRY_SECONDS", DEFAULT_INTERVAL))
    with _lock:
        now = time.monotonic()
        if _last_check is not None and now - _last_check < interval:
            return False
        _last_check = now
        return True


def retry_alerts() -> None:
    """Send the alerts due again (logged on failure, never raised)."""
    from trialdesk.web.safety.alerts import deliver_due

    try:
        deliver_due()
    except Exception:
        log.exception("retrying the undelivered safety alerts failed")


class RetrySafetyAlertsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _due_for_a_check():
            retry_alerts()
        return response
