"""Fixtures of the safety tests: a trial with randomized participants, alerts sent at once."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _alerts_without_pauses(settings: Any) -> None:
    """No pause between delivery attempts (the back-off is tested by its count)."""
    settings.TRIALDESK_SAFETY_ALERT_BACKOFF = ()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TRIALDESK_NOTIFY_EMAILS = ["sponsor-safety@example.org", "dsmb@example.org"]
