"""Safety's items of the lock checklist: serious adverse events still owing a report or follow-up,
and verbatim terms not yet coded (the MedDRA coding queue).

Registered by ``SafetyConfig.ready``. A form lock concerns one form, not the participant's
adverse events, so both checks are empty for a form; a participant's lock sees their events, the
database lock every event. What an event still needs comes from the core's rules
(``trialdesk.safety.rules.next_actions``): initial report, death report, expectedness, SUSAR
report, follow-up until resolved. Nothing here reads an arm.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from trialdesk.safety import rules
from trialdesk.web.core.lock_checklist import (
    DATABASE,
    FORM,
    ChecklistItem,
    LockScope,
    register_lock_check,
)
from trialdesk.web.safety.models import AdverseEvent

UNRESOLVED_SAES, UNCODED_TERMS = "unresolved_saes", "uncoded_terms"


def _events(scope: LockScope) -> QuerySet[AdverseEvent]:
    events = AdverseEvent.objects.select_related("participant").order_by("pk")
    if scope.kind == FORM:
        return events.none()
    if scope.kind == DATABASE:
        return events
    return events.filter(participant=scope.participant)


def unresolved_saes(scope: LockScope) -> list[ChecklistItem]:
    """Serious events with a report or follow-up still due."""
    items = []
    for event in _events(scope):
        facts = event.facts()
        needed = rules.next_actions(facts) if facts.serious else []
        if needed:
            items.append(ChecklistItem(UNRESOLVED_SAES, f"{event.key} {event.participant.code}",
                                       ", ".join(needed)))
    return items


def uncoded_terms(scope: LockScope) -> list[ChecklistItem]:
    """Events whose verbatim term has no MedDRA code yet."""
    return [ChecklistItem(UNCODED_TERMS, f"{event.key} {event.participant.code}", event.term)
            for event in _events(scope).filter(llt_code="")]


def register() -> None:
    # labels in English (stored in snapshots and audit records); the pages translate them
    register_lock_check(UNRESOLVED_SAES,
                        gettext_noop("Serious adverse events not resolved or not reported"),
                        unresolved_saes)
    register_lock_check(UNCODED_TERMS, gettext_noop("Adverse event terms not coded (MedDRA)"),
                        uncoded_terms)
