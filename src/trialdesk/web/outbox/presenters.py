"""The rows of the administrator's outbox page: what was not delivered, without bodies.

The administrator is a blinded role. A row shows the recipient, the subject, the attempts and the
last error, never a body; for a message that may name an arm (an ``unblinded`` outgoing e-mail,
the DSMB's safety-signal alerts) the error is reduced to its class, since a mail server's refusal
may quote the message. Subjects never name an arm (each notification's own rule).
"""

from __future__ import annotations

from typing import Any

from trialdesk.web.outbox import registry
from trialdesk.web.outbox.mail import KEEPS_FAILING, keeps_failing


def undelivered_rows() -> list[dict[str, Any]]:
    """Every notification that keeps failing: outgoing e-mail, then the registered apps'."""
    rows = [registry.row(
        source="email", pk=e.pk, recipient=e.recipient, subject=e.subject, attempts=e.attempts,
        status=e.status, created_at=e.created_at, last_attempt_at=e.last_attempt_at,
        withheld=e.unblinded, retry=True,
        error=(e.last_error_type or registry.error_class(e.last_error)) if e.unblinded
        else e.last_error) for e in keeps_failing()]
    for source in registry.sources():
        rows += source(KEEPS_FAILING)
    return rows
