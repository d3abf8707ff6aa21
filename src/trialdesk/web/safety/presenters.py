"""What pages and the API show of adverse events: no arm, no kit, no lot, for any role."""

from __future__ import annotations

from collections import Counter
from typing import Any

from trialdesk.safety import rules
from trialdesk.web.safety import clocks
from trialdesk.web.safety.models import AdverseEvent, AdverseEventFollowUp


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def event_view(event: AdverseEvent, *, with_follow_ups: bool = False) -> dict[str, Any]:
    """One event as the API answers it (and the pages show it)."""
    facts = event.facts()
    clock = clocks.case_clock(event)
    view: dict[str, Any] = {
        "id": event.pk,
        "key": event.key,
        "participant": event.participant.code,
        "site": event.site.code,
        "term": event.term,
        "coded": {name: getattr(event, name) for name in (
            "llt_code", "llt_name", "pt_code", "pt_name", "soc_code", "soc_name")}
        if event.coded else None,
        "onset_date": _iso(event.onset_date),
        "end_date": _iso(event.end_date),
        "grade": event.grade,
        "seriousness": {name: getattr(event, name) for name in rules.SERIOUSNESS_CRITERIA},
        "serious": facts.serious,
        "relatedness": event.relatedness,
        "expectedness": event.expectedness,
        "susar": facts.susar,
        "action_taken": event.action_taken,
        "outcome": event.outcome,
        "status": event.status,
        "source": event.source,
        "investigator_aware_at": _iso(event.investigator_aware_at),
        "sponsor_aware_date": _iso(event.sponsor_aware_date),
        "reported_to_sponsor_at": _iso(event.reported_to_sponsor_at),
        "alert_reasons": rules.alert_reasons(facts),
        # the API's basis is the core's English; the page's words are the reader's
        "deadlines": [{**{k: v for k, v in d.items() if k != "basis_words"},
                       "due": _iso(d["due"]), "done_at": _iso(d["done_at"])}
                      for d in clock["deadlines"]],
        "overdue": clock["overdue"],
        "next_actions": clock["next_actions"],
        "time_zone": clock["time_zone"],
        "version": event.version,
    }
    if with_follow_ups:
        view["follow_ups"] = [follow_up_view(f) for f in event.follow_ups.order_by("seq")]
    return view


def follow_up_view(follow_up: AdverseEventFollowUp) -> dict[str, Any]:
    return {"seq": follow_up.seq, "kind": follow_up.kind, "text": follow_up.text,
            "outcome": follow_up.outcome, "resolved": follow_up.resolved,
            "end_date": _iso(follow_up.end_date), "at": _iso(follow_up.at),
            "by": follow_up.by.get_username()}


def pooled_summary(events: list[AdverseEvent]) -> dict[str, Any]:
    """Pooled counts over every participant the viewer may see: never by arm."""
    facts = [(event, event.facts()) for event in events]
    participants = {event.participant_id for event in events}

    def with_(test) -> int:
        return len({event.participant_id for event, f in facts if test(f)})

    return {
        "events": len(events),
        "participants_with_event": len(participants),
        "participants_with_serious_event": with_(lambda f: f.serious),
        "participants_with_grade_3_plus": with_(lambda f: f.grade >= 3),
        "participants_with_related_event": with_(lambda f: rules.is_related(f.relatedness)),
        "deaths": with_(lambda f: f.death),
        "susars": sum(f.susar for _, f in facts),
        "by_grade": {str(grade): sum(f.grade == grade for _, f in facts)
                     for grade in rules.GRADES},
        "by_term": dict(sorted(Counter(event.pt_name or event.term.lower()
                                       for event, _ in facts).items())),
    }
