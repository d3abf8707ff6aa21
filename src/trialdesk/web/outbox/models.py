"""One e-mail to one recipient, with its delivery attempts: sent, retrying, or given up."""

from __future__ import annotations

from django.db import models


class OutgoingEmail(models.Model):
    """A notification waiting for, or past, its delivery by the task ``tasks.deliver_email``.

    ``unblinded``: the body may name an arm, so it is meant for unblinded roles only; the
    administrator's page (a blinded role) never shows a body, and for these not even the text of
    the error (a mail server may quote the message it refused).
    """

    PENDING, RETRYING, SENT, FAILED = "pending", "retrying", "sent", "failed"
    STATUSES = (PENDING, RETRYING, SENT, FAILED)

    kind = models.CharField(max_length=40)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    unblinded = models.BooleanField(default=False)
    status = models.CharField(max_length=10, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_type = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=["status", "attempts"], name="outbox_status_attempts"),)

    def __str__(self) -> str:
        return f"{self.subject} -> {self.recipient} ({self.status})"
