"""The audit trail and the emergency unblindings in the JSON API, under /api/v1/.

Both name participants in ways that can unblind: the trail's pharmacy timings sort kits by arm,
and knowing which participant was unblinded hands a blinded reader one known arm. What each reader
gets is decided in ``audit_trail`` and ``unblinding_visibility``; these endpoints only answer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.permissions import READ_AUDIT, READ_UNBLINDING_EVENTS
from trialdesk.web.trials import audit_trail
from trialdesk.web.trials.models import UnblindingEvent

router = Router()


@router.get("/unblinding-events", tags=["unblinding"])
@endpoint(READ_UNBLINDING_EVENTS)
def unblinding_events(request: HttpRequest) -> list[dict[str, Any]]:
    """Emergency unblindings so far (for ``read_unblinding_events``: the DSMB, the sponsor's
    safety contact, the auditor); no arms."""
    events = UnblindingEvent.objects.select_related("participant", "requested_by").order_by("at")
    return [{"participant": e.participant.code, "requested_by": e.requested_by.get_username(),
             "reason": e.reason, "at": e.at.isoformat()} for e in events]


@router.get("/audit", tags=["audit"])
@endpoint(READ_AUDIT)
def audit(request: HttpRequest, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """The audit trail (monitor, admin), oldest first.

    A reader who sees every arm and every emergency unblinding gets the records as stored, from
    record number ``after``+1. Every other reader gets the redacted trail: no numbers or hashes,
    a pharmacy record dated to its day once the day is over, no emergency unblinding without
    ``read_unblinding_events``; each row carries ``row``, its position, and ``after`` counts the
    rows already read (a day's pharmacy records join the end of that day, so a reader who goes on
    from the last ``row`` misses none).
    """
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit", "must be between 1 and 1000")
    if after < 0:
        raise InvalidInput("after", "must be 0 or more")
    actor = request_actor(request)
    records = audit_trail.readable_records(actor)
    if audit_trail.reads_full_trail(actor):
        return [audit_trail.record_view(r, full=True)
                for r in records.filter(seq__gt=after)[:limit]]
    return [{"row": after + index, **audit_trail.record_view(r, full=False)}
            for index, r in enumerate(records[after:after + limit], start=1)]
