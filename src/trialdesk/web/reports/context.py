"""What the analysis report shows a reader, computed from the live database: the one function
the report's task, the simulated trial's outputs and the tests call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import get_language

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.reports.data import load_report_data
from trialdesk.web.reports.sections import build_sections
from trialdesk.web.trials.access import sees_every_arm


def report_context(actor: Actor, *, now: dt.datetime | None = None,
                   on_step: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Everything the report shows, for this reader, in the active language; ``on_step`` is
    told when the data are read (1) and the analyses run (2)."""
    language = (get_language() or "en")[:2]
    shows_arms = sees_every_arm(actor)
    data = load_report_data(show_arms=shows_arms, language=language)
    if on_step is not None:
        on_step(1)
    sections = build_sections(data, language)
    if on_step is not None:
        on_step(2)
    return {
        "actor": actor, "shows_arms": shows_arms, "dummy": data.dummy, "groups": data.groups,
        "sections": sections, "nct_id": get_protocol().registry.nct_id,
        "generated_at": now or clock.now(),
    }
