"""A deviation as each reader may see it: the API, the pages and the CSV export share this.

``unblinding_details`` is in the view only for a reader who may see the arm of the deviation's
participant (or site); for everyone else the key is absent, whatever the deviation holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trialdesk import deviations as rules
from trialdesk.web.core.actor import Actor
from trialdesk.web.deviations import access, values
from trialdesk.web.deviations.models import Deviation


def category_label(code: str, language: str) -> str:
    found = values.deviation_rules().category(code)
    return found.label.text(language) if found else code


def ethics_state(deviation: Deviation) -> str:
    return rules.ethics_state(
        deviation.severity, discovered_on=deviation.discovered_on,
        reported_on=deviation.ethics_reported_on, today=access.site_today(deviation.site.code),
        report_days=values.deviation_rules().ethics_report_days)


def capa_overdue(deviation: Deviation) -> bool:
    return (deviation.status != rules.CLOSED and deviation.capa_due_on is not None
            and deviation.capa_completed_on is None
            and access.site_today(deviation.site.code) > deviation.capa_due_on)


def current_details(deviation: Deviation) -> str:
    note = deviation.notes.order_by("-seq").first()
    return note.text if note else ""


def deviation_view(actor: Actor, deviation: Deviation, language: str = "en", *,
                   sees: Callable[[Deviation], bool] | None = None) -> dict[str, Any]:
    """One deviation as ``actor`` may read it (``sees``: ``access.details_reader(actor)``, made
    once for a list)."""
    found = values.deviation_rules().category(deviation.category)
    view: dict[str, Any] = {
        "id": deviation.pk, "key": deviation.key, "site": deviation.site.code,
        "participant": deviation.participant.code if deviation.participant else None,
        "category": deviation.category, "category_label": category_label(
            deviation.category, language),
        "category_may_unblind": bool(found and found.may_unblind),
        "severity": deviation.severity, "description": deviation.description,
        "occurred_on": deviation.occurred_on.isoformat(),
        "discovered_on": deviation.discovered_on.isoformat(),
        "discovered_by": deviation.discovered_by.get_username(),
        "discovery_method": deviation.discovery_method,
        "corrective_action": deviation.corrective_action,
        "preventive_action": deviation.preventive_action,
        "capa_owner": values.as_json(deviation.capa_owner),
        "capa_due_on": values.as_json(deviation.capa_due_on),
        "capa_completed_on": values.as_json(deviation.capa_completed_on),
        "capa_overdue": capa_overdue(deviation),
        "status": deviation.status,
        "ethics_report": {
            "state": ethics_state(deviation),
            "due_on": values.as_json(deviation.ethics_due_on),
            "reported_on": values.as_json(deviation.ethics_reported_on),
            "reference": deviation.ethics_reference,
        },
        "has_unblinding_details": deviation.has_unblinding_details,
        "version": deviation.version,
        "created_at": deviation.created_at.isoformat(),
        "created_by": deviation.created_by.get_username(),
        "updated_at": deviation.updated_at.isoformat(),
        "closed_at": values.as_json(deviation.closed_at),
        "closed_by": values.as_json(deviation.closed_by),
    }
    if (sees or access.details_reader(actor))(deviation):
        view["unblinding_details"] = current_details(deviation)
    return view


def deviation_views(actor: Actor, deviations: list[Deviation],
                    language: str = "en") -> list[dict[str, Any]]:
    """Many deviations as ``actor`` may read them (a list, the CSV)."""
    sees = access.details_reader(actor)
    return [deviation_view(actor, deviation, language, sees=sees) for deviation in deviations]
