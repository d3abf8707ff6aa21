"""The nav link's test: whether the signed-in actor may use the design pages."""

from __future__ import annotations

from django import template

from trialdesk.web.design.access import may_use_design

register = template.Library()


@register.filter
def may_design(actor: object) -> bool:
    """Return True if the actor may open the design pages (for showing the link only)."""
    return bool(actor) and may_use_design(actor)  # type: ignore[arg-type]
