"""The deviation log as CSV, one row per deviation, the columns of the list.

The unblinding details column is there only for a role that sees arms; for a row whose arm that
reader may not see (another site's, for a site's unblinded role) it says so rather than being
empty. Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe
(OWASP's CSV injection advice): the descriptions are typed by people.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.deviations import presenters
from trialdesk.web.deviations.models import Deviation
from trialdesk.web.trials.access import trial_unblinded_for

COLUMNS = ("key", "site", "participant", "category", "category_label", "severity", "description",
           "occurred_on", "discovered_on", "discovered_by", "discovery_method",
           "corrective_action", "preventive_action", "capa_owner", "capa_due_on",
           "capa_completed_on", "capa_overdue", "status", "ethics_state", "ethics_due_on",
           "ethics_reported_on", "ethics_reference", "has_unblinding_details", "version")
DETAILS = "unblinding_details"
NOT_SHOWN = "(not shown to this role)"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows(actor: Actor, deviations: list[Deviation], language: str) -> list[list[str]]:
    """The header and one row per deviation, as ``actor`` may read them."""
    details = actor.policy.sees_any_arm(actor.role) or trial_unblinded_for(actor)
    header = [*COLUMNS, DETAILS] if details else list(COLUMNS)
    table = [header]
    for view in presenters.deviation_views(actor, deviations, language):
        ethics = view.pop("ethics_report")
        view.update({f"ethics_{key}": value for key, value in ethics.items()})
        row = [_cell(view.get(column)) for column in COLUMNS]
        if details:
            row.append(_cell(view[DETAILS]) if DETAILS in view else NOT_SHOWN)
        table.append(row)
    return table


def csv_response(actor: Actor, deviations: list[Deviation], language: str) -> HttpResponse:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows(actor, deviations, language))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    day = clock.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="deviations-{day}.csv"'
    return response
