"""Fixtures of the DSMB tests: e-mail kept in memory, alerts sent without pauses."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _mail_in_memory(settings: Any) -> None:
    settings.TRIALDESK_SAFETY_ALERT_BACKOFF = ()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TRIALDESK_NOTIFY_EMAILS = ["sponsor-safety@example.org"]
    settings.TRIALDESK_DSMB_EMAILS = ["dsmb@example.org"]
