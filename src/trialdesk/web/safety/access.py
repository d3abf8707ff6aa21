"""What a user may reach in safety, built on the trial server's access layer: the events of the
participants the actor may see (site staff: their site), NotFound alike for a record that does
not exist and one the user may not see."""

from __future__ import annotations

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.access import can_read_participants


def visible_events(actor: Actor):
    """The adverse events of the participants the actor may list."""
    if not can_read_participants(actor):
        return AdverseEvent.objects.none()
    events = AdverseEvent.objects.select_related("participant", "site")
    if actor.policy.is_site_scoped(actor.role):
        events = events.filter(site__code=actor.site)
    return events


def access_event(actor: Actor, event_id: int) -> AdverseEvent:
    """Return the event if the actor may see its participant."""
    event = visible_events(actor).filter(pk=event_id).first()
    if event is None:
        raise NotFound(f"no adverse event {event_id}")
    return event
