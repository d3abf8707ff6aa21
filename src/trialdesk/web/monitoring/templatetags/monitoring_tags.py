"""Labels of monitoring's codes (states, reasons, kinds, categories), translated."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

LABELS = {
    # a record's or a field's state
    "not_verified": _("not verified"), "partly_verified": _("partly verified"),
    "verified": _("verified"), "needs_correction": _("needs correction"),
    "changed": _("changed since verification"),
    # why a record is in the plan
    "consent": _("consent (100%)"), "eligibility": _("eligibility (100%)"),
    "primary_outcome": _("primary outcome (100%)"),
    "serious_adverse_event": _("serious adverse event (100%)"), "death": _("death (100%)"),
    "sampled": _("sampled"), "risk_sampled": _("sampled (risk-based)"),
    # visits and action items
    "on_site": _("on site"), "remote": _("remote"), "planned": _("planned"),
    "done": _("done"), "cancelled": _("cancelled"), "open": _("open"),
    # findings
    "source_documents": _("source documents"), "safety_reporting": _("safety reporting"),
    "investigational_product": _("investigational product"),
    "data_quality": _("data quality"), "facilities": _("facilities"), "other": _("other"),
    "minor": _("minor"), "major": _("major"), "critical": _("critical"),
    # sources
    "form": _("form"), "adverse_event": _("adverse event"), "screening": _("screening"),
    "discontinuation": _("death or withdrawal"),
}
# "consent" and "eligibility" are both a reason and a finding's category
CATEGORY_LABELS = {"consent": _("consent"), "eligibility": _("eligibility")}


@register.filter
def monitoring_label(code: object) -> str:
    """The translated label of a code (the code itself when it has none)."""
    return str(LABELS.get(str(code), code))


@register.filter
def category_label(code: object) -> str:
    return str(CATEGORY_LABELS.get(str(code), LABELS.get(str(code), code)))


@register.inclusion_tag("monitoring/_nav_link.html")
def monitoring_link(actor: object) -> dict[str, bool]:
    """The Monitoring link of the navigation, for the roles that read monitoring."""
    from trialdesk.web.monitoring.presenters import MONITORING_READERS

    return {"show": bool(actor) and actor.can_any(MONITORING_READERS)}  # type: ignore[attr-defined]
