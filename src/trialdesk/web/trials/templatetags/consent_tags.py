"""The dashboard's panel of participants to ask for their own consent, and of those to ask to
sign a new consent version after an amendment (issue 17)."""

from __future__ import annotations

from typing import Any

from django import template

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.trials.access import can_read_participants
from trialdesk.web.trials.consent_state import capacity_tasks, reconsent_tasks

register = template.Library()


@register.inclusion_tag("trials/_consent_tasks.html")
def consent_tasks_panel(actor: Actor) -> dict[str, Any]:
    """Open "ask for own consent" tasks the actor may see (a site role: its own site's)."""
    if not can_read_participants(actor):
        return {"tasks": [], "reconsent": []}
    site = actor.site if actor.policy.is_site_scoped(actor.role) else None
    today = clock.today()
    return {"tasks": [{"task": task, "overdue": task.overdue(today)}
                      for task in capacity_tasks(site)],
            "reconsent": [{"task": task, "overdue": task.overdue(today)}
                          for task in reconsent_tasks(site)]}
