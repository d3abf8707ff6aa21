"""The lock readiness page: the checklist of a scope, a lock, and the two-person override.

The data manager picks a scope (the database, or one participant), sees what is outstanding with
counts and links, locks when nothing is, or requests an override with a reason and their password;
the principal investigator confirms (their password) or declines the pending requests on the same
page. A refused lock re-renders the page with the list (409); bad input with the problem (422).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trialdesk.web.capture import actions
from trialdesk.web.capture.lock_readiness import (
    SEES_CHECKLIST,
    LockRefused,
    access_override,
    checklist_snapshot,
    lock_scope,
    override_view,
    resolve_target,
    target_name,
)
from trialdesk.web.capture.models import Lock, LockOverride
from trialdesk.web.capture.state import active_database_lock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.pages import page
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.access import visible_participants

SHOWN_ITEMS = 50  # per check; the count says how many there are
# where each check's items are worked on (checks of other apps: no link unless named here)
CHECK_PAGES = {
    "open_queries": "capture:queries", "missing_forms": "capture:completeness",
    "incomplete_forms": "capture:worklist", "unsigned_forms": "capture:worklist",
    "unresolved_saes": "safety:events", "uncoded_terms": "safety:coding",
}

STATUS_LABELS = {
    LockOverride.PENDING: gettext_lazy("awaiting confirmation"),
    LockOverride.APPLIED: gettext_lazy("confirmed and locked"),
    LockOverride.DECLINED: gettext_lazy("declined"),
    LockOverride.WITHDRAWN: gettext_lazy("withdrawn"),
}


def _whole(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _item_link(subject: str) -> str:
    """A form's page for an item naming one (participant/visit/form/seq), else nothing."""
    parts = subject.split(" ")[0].split("/")
    if len(parts) != 4:
        return ""
    try:
        return reverse("capture:form", args=parts[:3]) + f"?seq={parts[3]}"
    except NoReverseMatch:
        return ""


def _item_name(subject: str) -> str:
    """A form item's participant, visit and form by name (the stored subject names them by
    code, for the API and the override's record); any other subject as it is."""
    key, _space, rest = subject.partition(" ")
    parts = key.split("/")
    if len(parts) != 4:
        return subject
    code, visit_code, form_code, seq = parts
    protocol = get_protocol()
    language = get_language() or "en"
    visit = next((v.title.text(language) for v in protocol.visits if v.code == visit_code),
                 visit_code)
    definition = next((f for f in protocol.forms if f.code == form_code), None)
    form = definition.title.text(language) if definition else form_code
    if definition is not None and rest:  # a query's field
        rest = next((f.label.text(language) for f in definition.fields if f.code == rest), rest)
    entry = f" #{seq}" if seq != "1" else ""
    return " ".join(filter(None, [f"{code} · {visit} · {form}{entry}", rest]))


def _item_detail(detail: str) -> str:
    """A capture item's detail ("site CO-01", "draft", "version 2") in the reader's words."""
    word, _space, value = detail.partition(" ")
    if word == "site" and value:
        return _("site %(site)s") % {"site": value}
    if word == "version" and value.isdigit():
        return _("version %(version)s") % {"version": value}
    if detail == "draft":
        return _("draft")
    return detail


def _shown(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for check in snapshot["checks"]:
        try:
            link = reverse(CHECK_PAGES[check["code"]]) if check["code"] in CHECK_PAGES else ""
        except NoReverseMatch:
            link = ""
        items = [{**item, "link": _item_link(item["subject"]),
                  "subject": _item_name(item["subject"]),
                  "detail": _item_detail(item.get("detail", ""))}
                 for item in check["items"][:SHOWN_ITEMS]]
        checks.append({**check, "label": _(check["label"]), "link": link, "items": items,
                       "more": max(0, check["count"] - SHOWN_ITEMS)})
    return checks


def _by_participant(snapshot: dict[str, Any], codes: set[str]) -> list[tuple[str, int]]:
    """Outstanding items per participant, most first: the code each item's subject names (a
    form key, "AE-12 CODE", ...); items naming none (a site's, say) are left out."""
    counts: dict[str, int] = {}
    for check in snapshot["checks"]:
        for item in check["items"]:
            named = {token for token in item["subject"].replace("/", " ").split()
                     if token in codes}
            for code in named:
                counts[code] = counts.get(code, 0) + 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


def _scope(request: HttpRequest) -> tuple[str, str]:
    data = request.POST if request.method == "POST" else request.GET
    code = data.get("participant", "").strip()
    return (Lock.PARTICIPANT, code) if code else (Lock.DATABASE, "")


def _back(code: str) -> HttpResponse:
    url = reverse("capture:lock_readiness")
    return redirect(f"{url}?{urlencode({'participant': code})}" if code else url)


def _post(request: HttpRequest, actor: Actor, scope: str, code: str) -> None:
    """Run the posted step; errors propagate to the page."""
    step = request.POST.get("action", "")
    if step in ("confirm", "close"):
        override = access_override(actor, _whole(request.POST.get("override")))
        if step == "confirm":
            actions.do_confirm_lock_override(actor, override,
                                             password=request.POST.get("password", ""))
        else:
            actions.do_close_lock_override(actor, override,
                                           reason=request.POST.get("reason", ""))
        return
    participant, _instance = resolve_target(actor, scope, code)
    if step == "lock":
        actions.do_lock(actor, scope, participant=participant,
                        reason=request.POST.get("reason", ""))
    elif step == "request":
        actions.do_request_lock_override(actor, scope, participant=participant,
                                         reason=request.POST.get("reason", ""),
                                         password=request.POST.get("password", ""))
    else:
        raise InvalidInput("action", "must be lock, request, confirm or close")


@page(SEES_CHECKLIST)
@require_http_methods(["GET", "POST"])
def lock_readiness(request: HttpRequest, actor: Actor) -> HttpResponse:
    scope, code = _scope(request)
    error, status, refusal = None, 200, None
    if request.method == "POST":
        try:
            _post(request, actor, scope, code)
        except LockRefused as refused:
            refusal, status = refused, 409
        except Conflict as problem:
            error, status = {"reason": problem.reason, "message": problem.message}, 409
        except InvalidInput as problem:
            error, status = {"reason": "invalid",
                             "message": f"{problem.field}: {problem.rule}"}, 422
        else:
            messages.success(request, _("Done."))
            return _back(code)
    return render_readiness(request, actor, scope, code, refusal=refusal, error=error,
                            status=status)


def render_readiness(request: HttpRequest, actor: Actor, scope: str, code: str, *,
                     refusal: LockRefused | None = None, error: dict[str, str] | None = None,
                     status: int = 200) -> HttpResponse:
    """The page for ``scope`` (a refused lock: its list, whatever its scope, with status 409;
    the locks page renders its refusals here too)."""
    participant, _instance = resolve_target(actor, scope, code)
    snapshot = refusal.checklist if refusal else checklist_snapshot(lock_scope(scope, participant))
    people = []
    if scope == Lock.DATABASE and refusal is None:
        codes = set(visible_participants(actor).values_list("code", flat=True))
        people = _by_participant(snapshot, codes)
    pending = LockOverride.objects.filter(status=LockOverride.PENDING).select_related(
        "participant", "form_instance__participant", "requested_by").order_by("requested_at")
    recent = LockOverride.objects.exclude(status=LockOverride.PENDING).select_related(
        "participant", "form_instance__participant", "requested_by", "decided_by").order_by(
        "-decided_at", "-pk")[:20]
    return render(request, "capture/lock_readiness.html", {
        "actor": actor, "scope": scope, "code": code,
        "target": refusal.target if refusal else target_name(scope, participant, None),
        "snapshot": snapshot,
        # a form's refusal (from the locks page) is shown, its override is the API's
        "requestable": refusal is None or refusal.target == target_name(scope, participant, None),
        "checks": _shown(snapshot), "refusal": refusal, "error": error, "people": people,
        "database_lock": active_database_lock(),
        "pending": [override_view(o) for o in pending],
        "recent": [{**override_view(o), "status_label": STATUS_LABELS.get(o.status, o.status)}
                   for o in recent],
    }, status=status)
