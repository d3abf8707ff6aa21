"""The layout's breadcrumbs: where a page sits, from its address (issue 19, one design).

The trail is the dashboard, the page's section (the main menu's entry for the app the page
belongs to) and, on a participant's pages, the participant; the page's own heading is the
current place. Nothing is read from the database: a trail never names what the reader may not
open (the links are the menu's own, and a participant's code is already in the address)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

# app namespace -> the main menu's words for it and its first page
SECTIONS = {
    "capture": (_("Data capture"), "capture:worklist"),
    "safety": (_("Safety"), "safety:events"),
    "dsmb": (_("DSMB meetings"), "dsmb:meetings"),
    "monitoring": (_("Monitoring"), "monitoring:index"),
    "supply": (_("Product supply"), "supply:overview"),
    "deviations": (_("Protocol deviations"), "deviations:list"),
    "amendments": (_("Protocol amendments"), "amendments:list"),
    "design": (_("Trial design"), "design:index"),
    "reports": (_("Analysis report"), "reports:index"),
    "exports": (_("Data exports"), "exports:index"),
    "outbox": (_("Undelivered e-mail"), "outbox:undelivered"),
    "administration": (_("Administration"), "administration:index"),
}
# a section whose first page only some of its pages' readers may open (the delegations to sign
# are the investigators', the administration's index is not): the crumb needs one of these
SECTION_OPENED_BY = {"administration": ("manage_users", "manage_sites")}
# pages outside the trail (signed out, errors, the dashboard itself)
NO_TRAIL = {"trials:dashboard"}


def trail(request: Any, actor: Any = None) -> list[dict[str, Any]]:
    """The crumbs before the page: each a label and an address (None: the page itself)."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or not (user and user.is_authenticated) or match.view_name in NO_TRAIL:
        return []
    crumbs = [{"label": _("Dashboard"), "url": reverse("trials:dashboard")}]
    section = SECTIONS.get(match.namespace)
    needed = SECTION_OPENED_BY.get(match.namespace)
    if needed and not (actor is not None and any(actor.can(p) for p in needed)):
        section = None
    if section is not None:
        label, name = section
        try:
            url = reverse(name)
        except NoReverseMatch:
            url = None
        crumbs.append({"label": label, "url": None if url == request.path else url})
    code = match.kwargs.get("code")
    if code and match.namespace in ("trials", "capture"):
        url = reverse("trials:participant", args=[code])
        crumbs.append({"label": code, "url": None if url == request.path else url})
    return crumbs


@register.inclusion_tag("layout/_breadcrumbs.html", takes_context=True)
def breadcrumbs(context: dict[str, Any]) -> dict[str, Any]:
    return {"crumbs": trail(context.get("request"), context.get("actor"))}


# a stored state's tone: done (ok), waiting on someone (warn), wrong (bad), under way (info)
TONES = {
    "ok": {"closed", "complete", "verified", "signed", "sent", "released", "randomized", "done",
           "resolved", "active", "accepted", "received", "dispensed", "completed"},
    "warn": {"open", "draft", "pending", "planned", "not_verified", "overdue", "due",
             "partially_verified", "quarantined", "missing", "awaiting_dispensing", "queued",
             "in_transit"},
    "bad": {"failed", "needs_correction", "refused", "rejected", "destroyed", "expired",
            "suspended", "withdrawn", "not_accepted", "screen_failed", "died", "missed"},
    "info": {"answered", "in_progress", "scheduled", "shipped", "reopened", "follow_up", "running"},
}
TONE_OF = {state: tone for tone, states in TONES.items() for state in states}
# a background job's state (data exports, design simulations: the same four words)
JOB_STATES = {
    "queued": pgettext_lazy("job state", "queued"),
    "running": pgettext_lazy("job state", "running"),
    "done": pgettext_lazy("job state", "done"),
    "failed": pgettext_lazy("job state", "failed"),
}


@register.filter
def job_state_label(state: str) -> str:
    """A background job's state in the reader's words."""
    return str(JOB_STATES.get(state, state))


@register.simple_tag
def badge(state: Any, label: Any) -> str:
    """A status badge: ``label`` (the state in the reader's words) tinted by the state's tone."""
    from django.utils.html import format_html

    tone = TONE_OF.get(str(state), "info")
    return format_html('<span class="badge badge-{}" data-state="{}">{}</span>', tone, state,
                       label)


@register.inclusion_tag("layout/_field_error.html")
def field_error(refused: Any, name: str) -> dict[str, Any]:
    """An action's refusal (an ``InvalidInput``) beside the form field it names, in the reader's
    language; nothing when there is none, or it names another field."""
    from trialdesk.web.core.refusals import in_reader_language

    shown = refused is not None and getattr(refused, "field", None) == name
    return {"name": name, "rule": in_reader_language(refused.rule) if shown else ""}


@register.simple_tag
def refusal_above(refused: Any, fields: str) -> str:
    """A refusal naming none of the form's ``fields`` (space-separated): its field and rule, to
    show above the form; empty when ``field_error`` shows it beside its field."""
    from trialdesk.web.core.refusals import in_reader_language

    if refused is None or getattr(refused, "field", None) in fields.split():
        return ""
    return f"{refused.field}: {in_reader_language(refused.rule)}"
