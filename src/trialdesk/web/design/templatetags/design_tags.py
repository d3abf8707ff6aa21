"""The nav link's test: whether the signed-in actor may use the design pages."""

from __future__ import annotations

from django import template

from trialdesk.web.core.permissions import USE_DESIGN

register = template.Library()


@register.filter
def may_design(actor: object) -> bool:
    """Return True if the actor may open the design pages (for showing the link only)."""
    return bool(actor) and actor.can_any(USE_DESIGN)  # type: ignore[attr-defined]
