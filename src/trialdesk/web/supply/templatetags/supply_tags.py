"""The supply pages' link in the navigation, for the roles that read them (issue 18)."""

from __future__ import annotations

from typing import Any

from django import template

from trialdesk.web.supply.replacement import REPLACE
from trialdesk.web.supply.views import READERS

register = template.Library()


@register.inclusion_tag("supply/_nav_link.html")
def supply_link(actor: Any) -> dict[str, Any]:
    """The link for the supply manager, quality and the site's pharmacist; the kit replacement's
    for the site's roles that hand out kits (the investigator too); nothing for others."""
    return {"show": bool(actor) and actor.can_any(READERS),
            "replace": bool(actor) and actor.can_any(REPLACE)}
