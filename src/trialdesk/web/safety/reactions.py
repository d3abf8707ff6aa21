"""Infusion reactions recorded on the infusion form become adverse events.

Data capture's ``do_save_form`` calls :func:`link_reaction` inside its own transaction
after saving a form: an infusion form whose reaction field says yes gets one adverse event,
linked to the form entry (``source_form``) and created once; later saves of the same entry find
it linked. The event starts as a possibly related, grade 1 event of unknown expectedness, with
the reaction's description as its term: the investigator grades and assesses it on the safety
pages (its creation is audited, like every report).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict
from trialdesk.web.safety.actions.events import create_event
from trialdesk.web.safety.models import TERM_MAX, AdverseEvent
from trialdesk.web.trials.models import Randomization

INFUSION_FORM = "infusion"
REACTION_FIELD = "infusion_reaction"
DESCRIPTION_FIELD = "reaction_description"
START_FIELD = "infusion_start"
DEFAULT_TERM = "Infusion reaction"


def _onset(values: dict[str, Any]) -> dt.date:
    start = values.get(START_FIELD)
    try:
        return dt.datetime.fromisoformat(str(start)).date()
    except (TypeError, ValueError):
        return clock.now().date()


def link_reaction(actor: Actor, instance: Any) -> AdverseEvent | None:
    """Create (once) the adverse event of an infusion reaction recorded on ``instance`` (a saved
    form entry); return it, or None when the entry records no reaction. Runs inside the caller's
    write transaction, so the form and its event are stored together or not at all."""
    if instance.form != INFUSION_FORM or instance.values.get(REACTION_FIELD) is not True:
        return None
    linked = AdverseEvent.objects.filter(source_form=instance.key).first()
    if linked is not None:
        return linked
    participant = instance.participant
    if not Randomization.objects.filter(participant=participant).exists():
        return None  # not a trial participant yet: nothing to report as a trial event
    description = str(instance.values.get(DESCRIPTION_FIELD) or "").strip()
    term = (description or DEFAULT_TERM)[:TERM_MAX]
    onset = _onset(instance.values)
    now = clock.now()
    values = {"term": term, "onset_date": min(onset, now.date()), "end_date": None, "grade": 1,
              "death": False, "life_threatening": False, "hospitalization": False,
              "disability": False, "congenital_anomaly": False, "important_medical_event": False,
              "relatedness": "possible", "expectedness": "unknown", "action_taken": "unknown",
              "outcome": "unknown", "investigator_aware_at": now, "sponsor_aware_date": None}
    try:
        return create_event(actor, participant, values, source=AdverseEvent.INFUSION,
                            source_form=instance.key,
                            reason=f"infusion reaction recorded on {instance.key}")
    except Conflict:
        return None
