"""The supply pages' link in the navigation, for the roles that read them (issue 18)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

from trialdesk.web.supply.replacement import REPLACE
from trialdesk.web.supply.views import READERS

register = template.Library()


@register.inclusion_tag("supply/_nav_link.html")
def supply_link(actor: Any) -> dict[str, Any]:
    """The link for the supply manager, quality and the site's pharmacist; the kit replacement's
    for the site's roles that hand out kits (the investigator too); nothing for others."""
    return {"show": bool(actor) and actor.can_any(READERS),
            "replace": bool(actor) and actor.can_any(REPLACE)}


# a lot's release state and a shipment's journey, in words (the overview's badges)
STATUS_LABELS = {
    "pending": pgettext_lazy("supply status", "pending"),
    "released": pgettext_lazy("supply status", "released"),
    "failed": pgettext_lazy("supply status", "failed"),
    "in_transit": pgettext_lazy("supply status", "in transit"),
    "received": pgettext_lazy("supply status", "received"),
}


@register.filter
def supply_status_label(code: str) -> str:
    """A lot's or shipment's status in the reader's words."""
    return str(STATUS_LABELS.get(code, code))
