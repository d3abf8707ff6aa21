"""Template helpers of the safety pages: the dashboard's alert panel, the navigation link, labels
in the current language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from trialdesk.web.core.permissions import READ_PARTICIPANTS

register = template.Library()

LABELS = {
    # relatedness
    "not_related": _("not related"), "unlikely": _("unlikely"), "possible": _("possible"),
    "probable": _("probable"), "definite": _("definite"),
    # expectedness
    "expected": _("expected"), "unexpected": _("unexpected"), "unknown": _("unknown"),
    # outcome
    "recovered": _("recovered"), "recovering": _("recovering"),
    "not_recovered": _("not recovered"), "recovered_with_sequelae": _("recovered with sequelae"),
    "fatal": _("fatal"),
    # action taken
    "none": _("none"), "infusion_interrupted": _("infusion interrupted"),
    "infusion_stopped": _("infusion stopped"), "treatment_given": _("treatment given"),
    "not_applicable": _("not applicable"),
    # seriousness criteria
    "death": _("death"), "life_threatening": _("life-threatening"),
    "hospitalization": _("hospitalization or its prolongation"),
    "disability": _("disability"), "congenital_anomaly": _("congenital anomaly"),
    "important_medical_event": _("important medical event"),
    # status, alerts, reports
    "open": _("open"), "resolved": _("resolved"), "pending": _("pending"), "sent": _("sent"),
    "failed": _("failed"), "sae": _("serious adverse event"), "grade_4_plus": _("grade 4 or 5"),
    "susar": _("SUSAR"), "report": _("report"), "infusion": _("infusion form"),
    # next actions and follow-up kinds
    "initial_report": _("initial report to the sponsor (24 h)"),
    "death_report": _("death report"), "follow_up": _("follow-up until resolved"),
    "assess_expectedness": _("assess expectedness"),
    "susar_report": _("SUSAR report to the authorities"),
    "susar_follow_up": _("SUSAR follow-up report"),
    # deadlines
    "sae_to_sponsor": _("SAE report to the sponsor (24 h)"),
    "susar_7_day": _("SUSAR report (7 days)"),
    "susar_follow_up_8_day": _("SUSAR follow-up (8 more days)"),
    "susar_15_day": _("SUSAR report (15 days)"),
}


@register.filter
def safety_label(code: Any) -> str:
    """The translated name of a relatedness, outcome, status, reason or action code."""
    return str(LABELS.get(str(code), code))


@register.inclusion_tag("safety/_alerts_panel.html")
def safety_alerts_panel(actor: Any) -> dict[str, Any]:
    """Safety alerts not delivered (pending or failed, tried again until sent), for the
    dashboard: their events for roles that read participants (site staff: their site), a count
    for the others. Never silently dropped."""
    from trialdesk.web.safety.access import visible_events
    from trialdesk.web.safety.alerts import undelivered

    if not actor:
        return {"show": False}
    alerts = undelivered()
    readers = actor.can_any(READ_PARTICIPANTS)
    if readers:
        alerts = alerts.filter(event__in=visible_events(actor))
    rows = list(alerts[:50])
    failed = [a for a in rows if a.status == "failed"]
    return {"show": True, "alerts": rows if readers else [], "count": alerts.count(),
            "failed": len(failed), "readers": readers,
            "overdue": _overdue_cases(actor) if readers else []}


def _overdue_cases(actor: Any) -> list[Any]:
    """Open cases with a report past its due date (site staff: their site)."""
    from trialdesk.web.safety.access import visible_events
    from trialdesk.web.safety.clocks import case_clock

    cases = visible_events(actor).filter(status="open").order_by("pk")
    return [event for event in cases if event.facts().serious and case_clock(event)["overdue"]]


@register.inclusion_tag("safety/_nav_link.html")
def safety_link(actor: Any) -> dict[str, Any]:
    """The Safety link of the navigation, for roles that read participants."""
    return {"show": bool(actor) and actor.can_any(READ_PARTICIPANTS)}
