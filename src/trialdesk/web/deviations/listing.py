"""The deviation log as a reader filters it (the list page, the API and the CSV export share this).

Every filter is on what every reader of the log sees; none on the unblinding details, so no
answer's length or order depends on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialdesk import deviations as rules
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.deviations import access, presenters, values
from trialdesk.web.deviations.models import Deviation

FILTERS = ("status", "severity", "category", "site", "participant", "ethics")


def _one_of(field: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise InvalidInput(field, f"must be one of {', '.join(options)}")
    return value


def filtered(actor: Actor, params: Mapping[str, Any]) -> list[Deviation]:
    """The deviations the actor may see that match ``params`` (empty values: no filter), most
    recently discovered first."""
    deviations = access.visible_deviations(actor)
    given = {name: str(params.get(name) or "").strip() for name in FILTERS}
    if given["status"]:
        deviations = deviations.filter(status=_one_of("status", given["status"], rules.STATUSES))
    if given["severity"]:
        deviations = deviations.filter(
            severity=_one_of("severity", given["severity"], rules.SEVERITIES))
    if given["category"]:
        codes = tuple(c.code for c in values.deviation_rules().categories)
        deviations = deviations.filter(category=_one_of("category", given["category"], codes))
    if given["site"]:
        deviations = deviations.filter(site__code=given["site"])
    if given["participant"]:
        deviations = deviations.filter(participant__code=given["participant"])
    found = list(deviations.order_by("-discovered_on", "-pk")[:2000])
    if given["ethics"]:
        state = _one_of("ethics", given["ethics"], rules.ETHICS_STATES)
        found = [d for d in found if presenters.ethics_state(d) == state]
    return found
