"""Monitoring pages: progress and visits, the verification plan, a record to verify, a visit
with its findings, action items and follow-up letter. Writes go through ``monitoring.actions``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trialdesk.blinding import Permission
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Site
from trialdesk.web.core.pages import page
from trialdesk.web.monitoring import actions, letter, presenters
from trialdesk.web.monitoring.models import Finding, MonitoringVisit
from trialdesk.web.monitoring.presenters import ITEM_STATES, MONITORING_READERS
from trialdesk.web.monitoring.status import states


def _lang(request: HttpRequest) -> str:
    return (request.LANGUAGE_CODE or "en")[:2]


def _date(value: str, name: str, *, required: bool = True) -> dt.date | None:
    if not value and not required:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(name, gettext_noop("expected a date, YYYY-MM-DD")) from None


def _refused(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, InvalidInput):
        messages.error(request, f"{error.field}: {error.rule}")
    else:
        messages.error(request, str(error))


@page(MONITORING_READERS, record_readers=None)
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    refused = None
    if request.method == "POST":
        try:
            visit = actions.do_plan_visit(
                actor, site_code=request.POST.get("site", ""),
                kind=request.POST.get("kind", ""),
                planned_date=_date(request.POST.get("planned_date", ""), "planned_date"),
                monitor=request.POST.get("monitor") or None)
        except InvalidInput as found:
            refused = found  # shown beside its field (layout's field_error)
        else:
            return redirect("monitoring:visit", visit.pk)
    return render(request, "monitoring/index.html", {
        "actor": actor, "progress": presenters.progress_view(actor),
        "visits": presenters.visits_view(actor), "refused": refused,
        "may_verify": actor.can(Permission.VERIFY_SOURCE),
        "sites": Site.objects.order_by("code").values_list("code", flat=True),
        "monitors": actions.users_who_monitor() if actor.can(Permission.VERIFY_SOURCE) else [],
    }, status=422 if refused else 200)


@require_GET
@page(MONITORING_READERS, record_readers=None)
def plan(request: HttpRequest, actor: Actor) -> HttpResponse:
    site = request.GET.get("site") or None
    participant = request.GET.get("participant") or None
    state = request.GET.get("state") or None
    view = presenters.plan_view(actor, _lang(request), site=site, participant=participant,
                                state=state if state in ITEM_STATES else None)
    return render(request, "monitoring/plan.html", {
        "actor": actor, "plan": view["plan"], "items": view["items"], "site": site or "",
        "participant": participant or "", "state": state or "", "states": ITEM_STATES,
        "sites": Site.objects.order_by("code").values_list("code", flat=True)})


@page(MONITORING_READERS, record_readers=MONITORING_READERS)
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, actor: Actor, source: str, ref: str) -> HttpResponse:
    rec = presenters.access_record(actor, source, ref)
    if request.method == "POST":
        actor_may = actor.can(Permission.VERIFY_SOURCE)
        try:
            if not actor_may:
                raise Conflict("forbidden", _("Only a monitor verifies source data."))
            visit_id = request.POST.get("visit", "")
            if not visit_id.isdigit():
                raise InvalidInput("visit", "choose the monitoring visit")
            actions.do_verify(actor, presenters.access_visit(actor, int(visit_id)), rec,
                              status=request.POST.get("status", ""),
                              fields=request.POST.getlist("fields"),
                              comment=request.POST.get("comment", ""))
        except (InvalidInput, Conflict) as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Verification recorded."))
        return redirect("monitoring:record", source, ref)
    [state] = states([rec], only_planned=False)
    open_visits = (presenters.visible_visits(actor).filter(site__code=rec.item.site)
                   .exclude(status=MonitoringVisit.CANCELLED).order_by("-planned_date", "-pk"))
    return render(request, "monitoring/record.html", {
        "actor": actor, "record": presenters.state_view(state, _lang(request), fields=True),
        "visits": open_visits, "may_verify": actor.can(Permission.VERIFY_SOURCE)})


@page(MONITORING_READERS, record_readers=MONITORING_READERS)
@require_http_methods(["GET", "POST"])
def visit(request: HttpRequest, actor: Actor, visit_id: int) -> HttpResponse:
    found = presenters.access_visit(actor, visit_id)
    if request.method == "POST":
        try:
            if not actor.can(Permission.VERIFY_SOURCE):
                raise Conflict("forbidden", _("Only a monitor records monitoring visits."))
            actions.do_update_visit(
                actor, found, status=request.POST.get("status") or None,
                done_date=_date(request.POST.get("done_date", ""), "done_date", required=False),
                summary=request.POST.get("summary"))
        except (InvalidInput, Conflict) as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Visit updated."))
        return redirect("monitoring:visit", found.pk)
    return render(request, "monitoring/visit.html", {
        "actor": actor, "visit": presenters.visit_view(found, details=True),
        "may_verify": actor.can(Permission.VERIFY_SOURCE),
        "categories": Finding.CATEGORIES, "severities": Finding.SEVERITIES})


@page(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
@require_POST
def add_finding(request: HttpRequest, actor: Actor, visit_id: int) -> HttpResponse:
    found = presenters.access_visit(actor, visit_id)
    try:
        actions.do_add_finding(actor, found, category=request.POST.get("category", ""),
                               severity=request.POST.get("severity", ""),
                               text=request.POST.get("text", ""))
    except (InvalidInput, Conflict) as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Finding recorded."))
    return redirect("monitoring:visit", found.pk)


@page(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
@require_POST
def add_action_item(request: HttpRequest, actor: Actor, visit_id: int) -> HttpResponse:
    found = presenters.access_visit(actor, visit_id)
    finding = request.POST.get("finding", "")
    try:
        actions.do_add_action_item(
            actor, found, text=request.POST.get("text", ""),
            owner=request.POST.get("owner", ""),
            due_date=_date(request.POST.get("due_date", ""), "due_date"),
            finding_id=int(finding) if finding.isdigit() and len(finding) < 18 else None)
    except (InvalidInput, Conflict) as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Action item recorded."))
    return redirect("monitoring:visit", found.pk)


@page(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
@require_POST
def update_action_item(request: HttpRequest, actor: Actor, item_id: int) -> HttpResponse:
    item = presenters.access_action_item(actor, item_id)
    try:
        actions.do_update_action_item(actor, item, status=request.POST.get("status") or None,
                                      note=request.POST.get("note"))
    except (InvalidInput, Conflict) as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Action item updated."))
    return redirect("monitoring:visit", item.visit_id)


@require_GET
@page(MONITORING_READERS, record_readers=MONITORING_READERS)
def letter_page(request: HttpRequest, actor: Actor, visit_id: int) -> HttpResponse:
    found = presenters.access_visit(actor, visit_id)
    return letter.download(found, _lang(request), attachment=request.GET.get("download") == "1")
