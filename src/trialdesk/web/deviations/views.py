"""Deviation log pages: the list with filters (and its CSV), a deviation with its history,
reporting, changing (CAPA, ethics report), closing and reopening."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trialdesk import deviations as rules
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import AuditRecord, Site
from trialdesk.web.core.pages import page
from trialdesk.web.deviations import access, actions, export, listing, presenters, values
from trialdesk.web.deviations.forms import ReasonForm, ReportForm, UpdateForm
from trialdesk.web.deviations.models import Deviation
from trialdesk.web.trials.access import access_participant_by_code, visible_participants

READERS = tuple(str(p) for p in access.READ_DEVIATIONS)


def _language() -> str:
    return (get_language() or "en")[:2]


def _refused(form: Any, error: InvalidInput) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.rule if field else f"{error.field}: {error.rule}")


@require_GET  # outermost: a POST is 405 for every role
@page(READERS)
def deviation_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    params = {name: request.GET.get(name, "") for name in listing.FILTERS}
    try:
        found = listing.filtered(actor, params)
        error = None
    except InvalidInput as refused:
        found, error = [], f"{refused.field}: {refused.rule}"
    rows = presenters.deviation_views(actor, found[:500], _language())
    return render(request, "deviations/list.html", {
        "actor": actor, "rows": rows, "params": params, "error": error,
        "categories": [(c.code, c.label.text(_language()))
                       for c in values.deviation_rules().categories],
        "statuses": rules.STATUSES, "severities": rules.SEVERITIES,
        "ethics_states": rules.ETHICS_STATES, "may_report": actor.can(access.REPORT),
        "query": request.GET.urlencode(),
    }, status=422 if error else 200)


@require_GET
@page(READERS)
def deviation_csv(request: HttpRequest, actor: Actor) -> HttpResponse:
    params = {name: request.GET.get(name, "") for name in listing.FILTERS}
    return export.csv_response(actor, listing.filtered(actor, params), _language())


def _sites(actor: Actor) -> list[str]:
    if actor.policy.is_site_scoped(actor.role):
        return [actor.site] if actor.site else []
    return list(Site.objects.order_by("code").values_list("code", flat=True))


@page(access.REPORT)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, actor: Actor) -> HttpResponse:
    participants = list(visible_participants(actor).order_by("code")
                        .values_list("code", flat=True))
    form = ReportForm(request.POST or None, found=values.deviation_rules(),
                      language=_language(), sites=_sites(actor), participants=participants,
                      initial={"participant": request.GET.get("participant")})
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["participant"]
        participant = access_participant_by_code(actor, code) if code else None
        site = access.reporting_site(actor, form.cleaned_data["site"])
        try:
            deviation = actions.do_report_deviation(
                actor, site, participant, values_in=form.values(),
                unblinding_details=form.cleaned_data["unblinding_details"])
        except InvalidInput as error:
            _refused(form, error)
        else:
            messages.success(request, _("Deviation %(key)s reported.") % {"key": deviation.key})
            return redirect("deviations:detail", deviation_id=deviation.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "deviations/report.html", {"actor": actor, "form": form},
                  status=status)


def _history(deviation: Deviation) -> list[AuditRecord]:
    # this deviation's own records: none holds its unblinding details (see actions)
    return list(AuditRecord.objects.filter(model="deviation", object_id=deviation.key)
                .order_by("seq"))


def _detail(request: HttpRequest, actor: Actor, deviation: Deviation,
            reason_form: ReasonForm | None = None, error: str = "",
            status: int = 200) -> HttpResponse:
    view = presenters.deviation_view(actor, deviation, _language())
    found = values.deviation_rules()
    return render(request, "deviations/detail.html", {
        "actor": actor, "d": view, "deviation": deviation, "history": _history(deviation),
        "severity_definition": getattr(found, deviation.severity).text(_language()),
        "sees_details": "unblinding_details" in view,
        "may_report": actor.can(access.REPORT), "may_close": access.may_close(actor),
        "blockers": rules.close_blockers(actions.facts(deviation)),
        "reason_form": reason_form or ReasonForm(), "error": error,
    }, status=status)


@require_GET  # outermost: a POST is 405 for every role
@page(READERS, record_readers=READERS)
def detail(request: HttpRequest, actor: Actor, deviation_id: int) -> HttpResponse:
    return _detail(request, actor, access.access_deviation(actor, deviation_id))


@page(access.REPORT, record_readers=READERS)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, actor: Actor, deviation_id: int) -> HttpResponse:
    deviation = access.access_deviation(actor, deviation_id)
    initial = {name: getattr(deviation, name) for name in values.EDITABLE}
    for name in ("discovered_by", "capa_owner"):
        initial[name] = values.as_json(initial[name])
    if access.sees_unblinding_details(actor, deviation):
        initial["unblinding_details"] = presenters.current_details(deviation)
    form = UpdateForm(request.POST or None, initial=initial, found=values.deviation_rules(),
                      language=_language())
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_deviation(actor, deviation, values_in=form.values(),
                                        reason=form.cleaned_data["reason"],
                                        unblinding_details=form.details())
        except InvalidInput as error:
            _refused(form, error)
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Deviation %(key)s changed.") % {"key": deviation.key})
            return redirect("deviations:detail", deviation_id=deviation.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "deviations/edit.html",
                  {"actor": actor, "form": form, "deviation": deviation}, status=status)


def _close_or_reopen(request: HttpRequest, actor: Actor, deviation_id: int, write: Any,
                     done: str) -> HttpResponse:
    deviation = access.access_deviation(actor, deviation_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            write(actor, deviation, reason=form.cleaned_data["reason"])
        except InvalidInput as error:
            _refused(form, error)
        except Conflict as error:
            return _detail(request, actor, deviation, form, error.message, status=409)
        else:
            messages.success(request, done % {"key": deviation.key})
            return redirect("deviations:detail", deviation_id=deviation.pk)
    return _detail(request, actor, access.access_deviation(actor, deviation_id), form,
                   status=422)


@page(access.REPORT, record_readers=READERS)
@require_POST
def close(request: HttpRequest, actor: Actor, deviation_id: int) -> HttpResponse:
    return _close_or_reopen(request, actor, deviation_id, actions.do_close_deviation,
                            _("Deviation %(key)s closed."))


@page(access.REPORT, record_readers=READERS)
@require_POST
def reopen(request: HttpRequest, actor: Actor, deviation_id: int) -> HttpResponse:
    return _close_or_reopen(request, actor, deviation_id, actions.do_reopen_deviation,
                            _("Deviation %(key)s reopened."))
