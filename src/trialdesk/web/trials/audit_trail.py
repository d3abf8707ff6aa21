"""The audit trail as each reader may see it (the page and the API share this).

A reader who sees every arm and every emergency unblinding reads the trail as stored: every
record with its number, exact time and hash. Every other reader (the blinded monitor and
administrator) reads a redacted trail, because the pharmacy's timings sort participants by arm
(one product takes longer to prepare than the other):

- a pharmacy record (a dispensing, anything about a kit, anything a pharmacy account writes) shows
  its day, not its time, and only once that day (UTC) is over: a reader polling the trail would
  otherwise see it appear within the minute;
- the trail is ordered by day; a day's pharmacy records follow all its other records, among
  themselves in the order of their hashes (unrelated to time), so no position tells the time;
- no record numbers and no hashes: a gap in the numbers, or a hash that does not chain to the one
  before, would show where a pharmacy record sat between two timed records;
- without ``read_unblinding_events``, no record of an emergency unblinding (it names the
  participant; its time and author would name it through the neighbouring records anyway).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate

from trialdesk.blinding import Permission
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.models import AuditRecord, Membership
from trialdesk.web.trials import access
from trialdesk.web.trials.unblinding_visibility import (
    EMERGENCY_UNBLIND_ACTION,
    sees_unblinding_events,
)

# what the pharmacy writes, whoever writes it; a new pharmacy action belongs here
PHARMACY_ACTIONS = ("dispense",)
PHARMACY_MODELS = ("kit",)
PHARMACY_PERMISSIONS = frozenset({Permission.VIEW_KIT_ARM, Permission.RECORD_DISPENSING})
# a redacted trail's order: by day, a day's pharmacy records last, then by hash or number
REDACTED_ORDER = ("day", "pharmacy", "tiebreak", "seq")


def reads_full_trail(actor: Actor) -> bool:
    """Return True if the actor may read the trail as stored (times, numbers, hashes)."""
    return access.sees_every_arm(actor) and sees_unblinding_events(actor)


def _pharmacy_records(actor: Actor) -> Q:
    policy = actor.policy
    roles = [code for code in policy.role_codes
             if policy.role(code).permissions & PHARMACY_PERMISSIONS]
    pharmacy_accounts = Membership.objects.filter(role__in=roles).values("user__username")
    return (Q(action__in=PHARMACY_ACTIONS) | Q(model__in=PHARMACY_MODELS)
            | Q(actor__in=pharmacy_accounts))


def readable_records(actor: Actor, *, newest_first: bool = False) -> QuerySet[AuditRecord]:
    """Return the audit records the actor may read, in the order the actor reads them."""
    if reads_full_trail(actor):
        return AuditRecord.objects.order_by("-seq" if newest_first else "seq")
    pharmacy = _pharmacy_records(actor)
    records = AuditRecord.objects.annotate(
        pharmacy=Case(When(pharmacy, then=Value(1)), default=Value(0),
                      output_field=IntegerField()),
        day=TruncDate("at", tzinfo=dt.UTC),
        tiebreak=Case(When(pharmacy, then=F("hash")), default=Value(""),
                      output_field=CharField()),
    )
    today = dt.datetime.combine(clock.now().astimezone(dt.UTC).date(), dt.time(), tzinfo=dt.UTC)
    records = records.exclude(pharmacy & Q(at__gte=today))
    if not sees_unblinding_events(actor):
        records = records.exclude(action=EMERGENCY_UNBLIND_ACTION)
    order = [f"-{key}" for key in REDACTED_ORDER] if newest_first else list(REDACTED_ORDER)
    return records.order_by(*order)


def record_view(record: AuditRecord, *, full: bool) -> dict[str, Any]:
    """Return one record as the reader may see it (``full``: as stored)."""
    view: dict[str, Any] = {
        "at": record.at.isoformat(), "actor": record.actor, "action": record.action,
        "model": record.model, "object_id": record.object_id, "changes": record.changes,
        "reason": record.reason,
    }
    if full:
        return {"seq": record.seq, **view, "hash": record.hash}
    if getattr(record, "pharmacy", 0):
        view["at"] = record.day.isoformat()  # the day only
    return view
