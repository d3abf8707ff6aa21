"""Template helpers of the data-capture pages: status names in the current language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trialdesk.protocol.text import LocalizedText

register = template.Library()

STATUS_LABELS = {
    # form status
    "not_started": _("not started"), "draft": _("draft"), "complete": _("complete"),
    "signed": _("signed"), "locked": _("locked"),
    # visit status
    "upcoming": _("upcoming"), "due": _("due"), "overdue": _("overdue"), "missed": _("missed"),
    "done": _("done"), "not_done": _("not done"), "not_expected": _("not expected"),
    # query status and kind
    "open": _("open"), "answered": _("answered"), "closed": _("closed"),
    "auto": _("automatic"), "manual": _("manual"),
    # query thread actions
    "raised": _("raised"), "reopened": _("re-opened"),
    # lock scopes
    "form": _("form"), "participant": _("participant"), "database": _("database"),
}


@register.filter
def capture_label(code: str) -> str:
    """Return the translated name of a status, kind or scope code."""
    return str(STATUS_LABELS.get(code, code))


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def protocol_text(text: LocalizedText) -> str:
    """Return a protocol text in the current language."""
    return text.text((get_language() or "en")[:2])


@register.inclusion_tag("capture/_open_queries.html")
def open_queries_summary(actor: Any) -> dict[str, Any]:
    """Open queries per site the actor may see, linked to the query list (for dashboards)."""
    from django.db.models import Count

    from trialdesk.web.capture.access import visible_queries
    from trialdesk.web.core.permissions import READ_PARTICIPANTS

    counts = []
    show = bool(actor) and actor.can_any(READ_PARTICIPANTS)
    if show:
        counts = list(visible_queries(actor).filter(status="open").values_list("site__code")
                      .annotate(n=Count("id")).order_by("site__code"))
    return {"counts": counts, "show": show}


@register.simple_tag
def next_visits_of(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Each randomized participant's next visit among a dashboard's rows, by code.

    The schedule's one rule (``capture.schedule``, ``protocol.visit_state``) decides it, so the
    dashboard names the visit the worklist and the API name. The rows were filtered by the page's
    access rules already; a visit says nothing of an arm.
    """
    import datetime as dt

    from trialdesk.web.amendments.versions import protocol_for_site
    from trialdesk.web.capture.presenters import next_visit_view
    from trialdesk.web.capture.schedule import next_visits_at_their_sites
    from trialdesk.web.core import clock
    from trialdesk.web.trials.models import Participant

    codes = [row["code"] for row in rows if row.get("randomization_number")]
    found = Participant.objects.filter(code__in=codes).values_list("pk", "code", "site__code")
    ids = {pid: code for pid, code, _ in found}
    sites = {pid: site for pid, _, site in found}
    language = (get_language() or "en")[:2]
    views = {}
    # each participant's schedule under the protocol version in force at their site (issue 17)
    for pid, scheduled in next_visits_at_their_sites(sites, today=clock.today()).items():
        view = next_visit_view(scheduled, language, protocol_for_site(sites[pid]).visits)
        if view is not None:
            view["date"] = dt.date.fromisoformat(view["target_date"])
        views[ids[pid]] = view
    return views



@register.simple_tag
def participant_next_step(actor: Any, participant: Any) -> dict[str, Any]:
    """The participant page's next step: its stage, what comes next and who does it
    (``capture.progress``: from randomization on it reads data capture's records)."""
    from trialdesk.web.capture.progress import participant_next_step as found

    return found(actor, participant, (get_language() or "en")[:2])
