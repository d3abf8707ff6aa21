"""A mail backend that fails, quoting the message it refuses (as some mail servers do)."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

FAILING = "outbox_kit.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend(BaseEmailBackend):
    sends = 0

    def send_messages(self, email_messages: Any) -> int:
        FailingBackend.sends += 1
        body = email_messages[0].body
        raise smtplib.SMTPDataError(554, f"message refused: {body[:200]}")
