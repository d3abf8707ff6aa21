"""Form, query, lock and schedule views as plain dicts, shared by the pages and the API.

Nothing here reads an allocation: data capture never needs to know an arm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trialdesk.protocol.capture import Visit
from trialdesk.protocol.visit_state import ScheduledVisit
from trialdesk.web.capture.access import FormSlot
from trialdesk.web.capture.models import Lock, Query
from trialdesk.web.capture.prefill import prefill_for
from trialdesk.web.capture.schedule import VisitState, form_status
from trialdesk.web.capture.state import participant_locked
from trialdesk.web.core.locks import database_locked
from trialdesk.web.core.protocol import get_protocol


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def query_view(query: Query, *, with_messages: bool = True) -> dict[str, Any]:
    instance = query.form_instance
    view: dict[str, Any] = {
        "id": query.pk, "participant": query.participant.code, "visit": instance.visit,
        "form": instance.form, "seq": instance.seq, "field": query.field, "rule": query.rule,
        "kind": query.kind, "status": query.status, "text": query.text,
        "raised_by": query.raised_by.get_username(), "raised_at": _iso(query.raised_at),
        "updated_at": _iso(query.updated_at),
    }
    if with_messages:
        view["messages"] = [
            {"at": _iso(m.at), "actor": m.actor.get_username(), "action": m.action, "text": m.text}
            for m in query.messages.select_related("actor").order_by("at", "pk")
        ]
    return view


def form_view(slot: FormSlot) -> dict[str, Any]:
    """Return one form slot: status, values (derived included), warnings, signatures, queries;
    before a first save, the values offered from the ScreeningRecord (``prefilled``)."""
    instance = slot.instance
    view: dict[str, Any] = {
        "participant": slot.participant.code, "visit": slot.visit_code, "form": slot.form.code,
        "seq": slot.seq, "protocol_version": slot.protocol_version,
        "status": form_status(instance, participant_locked=participant_locked(slot.participant),
                              database_locked=database_locked()),
        "version": 0, "values": {}, "warnings": [], "signatures": [], "queries": [],
    }
    if instance is None:
        offer = prefill_for(slot)
        if offer is not None:  # offered, not stored: ``values`` stays empty until a save
            view["prefilled"] = offer.as_json()
        return view
    view.update(
        version=instance.version, values=instance.values, warnings=instance.warnings,
        updated_at=_iso(instance.updated_at), updated_by=instance.updated_by.get_username(),
        signatures=[
            {"signed_by": s.signed_by.get_username(), "signed_at": _iso(s.signed_at),
             "meaning": s.meaning, "language": s.language, "form_version": s.form_version,
             "voided_at": _iso(s.voided_at), "void_reason": s.void_reason}
            for s in instance.signatures.select_related("signed_by").order_by("signed_at")
        ],
        queries=[query_view(q) for q in instance.queries.select_related(
            "participant", "raised_by", "form_instance").order_by("raised_at", "pk")],
    )
    return view


def schedule_view(states: list[VisitState], language: str) -> list[dict[str, Any]]:
    return [
        {"visit": s.code, "title": s.visit.title.text(language), "day": s.visit.day,
         "target_date": s.target.isoformat(), "window_start": s.window_start.isoformat(),
         "window_end": s.window_end.isoformat(), "status": s.status,
         "took_place": s.scheduled.took_place, "closing_only": s.scheduled.closing_only,
         "not_done_reason": s.not_done_reason,
         "forms": [{"form": f.code, "status": f.status, "version": f.version,
                    "open_queries": f.open_queries} for f in s.forms]}
        for s in states
    ]


def next_visit_view(scheduled: ScheduledVisit | None, language: str,
                    visits: Sequence[Visit] | None = None) -> dict[str, Any] | None:
    """Return a participant's next visit (the schedule's one rule) as pages and the API show it;
    ``visits``: the schedule's visits (the site's protocol version; default: the running one)."""
    if scheduled is None:
        return None
    visit = next((v for v in visits or get_protocol().visits if v.code == scheduled.code), None)
    title = visit.title.text(language) if visit is not None else scheduled.code
    return {"visit": scheduled.code, "title": title, "status": scheduled.status,
            "target_date": scheduled.target.isoformat(),
            "window_start": scheduled.window_start.isoformat(),
            "window_end": scheduled.window_end.isoformat()}


def lock_view(lock: Lock) -> dict[str, Any]:
    return {
        "id": lock.pk, "scope": lock.scope,
        "participant": lock.participant.code if lock.participant else None,
        "form": lock.form_instance.key if lock.form_instance else None,
        "locked_at": _iso(lock.locked_at), "locked_by": lock.locked_by.get_username(),
        "reason": lock.reason, "unlocked_at": _iso(lock.unlocked_at),
        "unlocked_by": lock.unlocked_by.get_username() if lock.unlocked_by else None,
        "unlock_reason": lock.unlock_reason,
    }
