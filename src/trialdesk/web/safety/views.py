"""Safety pages: the adverse-event list, a case with its clocks and follow-ups, reporting and
correcting, the coding queue, and the blinded (pooled) safety view. No arm on any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trialdesk.blinding import Permission
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, DatabaseLocked, InvalidInput
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.safety import access, actions, clocks, presenters
from trialdesk.web.safety.actions import CODE_TERMS
from trialdesk.web.safety.dictionary import current_dictionary
from trialdesk.web.safety.forms import CodeForm, FollowUpForm, ReportForm, UpdateForm
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.access import visible_participants


def _attempt(form: Any, run: Callable[[], Any]) -> tuple[bool, Any]:
    """Run an action for a page's form: (True, its result), or (False, None) with the refusal
    on the form (the field it names, or the whole form). A locked database is not the form's
    fault: its own page answers it."""
    try:
        return True, run()
    except InvalidInput as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.rule if field else f"{error.field}: {error.rule}")
    except DatabaseLocked:
        raise
    except Conflict as error:
        form.add_error(None, error.message)
    return False, None


def _rows(events: list[AdverseEvent]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        clock = clocks.case_clock(event)
        rows.append({"event": event, "facts": event.facts(), **clock})
    return rows


@require_GET  # outermost: a POST is 405 for every role
@page(READ_PARTICIPANTS)
def event_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "")
    events = access.visible_events(actor).order_by("-created_at", "-pk")
    if status in ("open", "resolved"):
        events = events.filter(status=status)
    return render(request, "safety/events.html", {
        "actor": actor, "rows": _rows(list(events[:500])), "status": status,
        "may_report": actor.can(Permission.REPORT_AE),
        "may_code": actor.can_any(tuple(str(p) for p in CODE_TERMS)),
    })


@page(Permission.REPORT_AE)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, actor: Actor) -> HttpResponse:
    participants = list(visible_participants(actor).filter(randomization__isnull=False)
                        .order_by("code").values_list("code", flat=True))
    form = ReportForm(request.POST or None, participants=participants,
                      initial={"participant": request.GET.get("participant")})
    if request.method == "POST" and form.is_valid():
        from trialdesk.web.trials.access import access_participant_by_code

        participant = access_participant_by_code(actor, form.cleaned_data["participant"])
        done, event = _attempt(form, lambda: actions.do_report_adverse_event(
            actor, participant, values_in=form.values()))
        if done:
            messages.success(request, _("Adverse event %(key)s reported.") % {"key": event.key})
            return redirect("safety:event", ae_id=event.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "safety/report.html", {"actor": actor, "form": form},
                  status=status)


@require_GET  # outermost: a POST is 405 for every role
@page(READ_PARTICIPANTS)
def event_detail(request: HttpRequest, actor: Actor, ae_id: int) -> HttpResponse:
    event = access.access_event(actor, ae_id)
    return _detail(request, actor, event, FollowUpForm(initial={"outcome": event.outcome}))


def _detail(request: HttpRequest, actor: Actor, event: AdverseEvent, follow_up_form: FollowUpForm,
            status: int = 200) -> HttpResponse:
    return render(request, "safety/event.html", {
        "actor": actor, "event": event, "facts": event.facts(), "clock": clocks.case_clock(event),
        "follow_ups": list(event.follow_ups.select_related("by").order_by("seq")),
        "follow_up_form": follow_up_form, "may_report": actor.can(Permission.REPORT_AE),
        "may_code": actor.can_any(tuple(str(p) for p in CODE_TERMS)),
        "criteria": sorted(event.criteria),
    }, status=status)


@page(Permission.REPORT_AE)
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, actor: Actor, ae_id: int) -> HttpResponse:
    event = access.access_event(actor, ae_id)
    initial = {name: getattr(event, name) for name in UpdateForm.base_fields
               if hasattr(event, name)}
    form = UpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done, _changed = _attempt(form, lambda: actions.do_update_adverse_event(
            actor, event, values_in=form.values(), reason=form.cleaned_data["reason"]))
        if done:
            messages.success(request, _("Adverse event %(key)s changed.") % {"key": event.key})
            return redirect("safety:event", ae_id=event.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "safety/edit.html", {"actor": actor, "form": form, "event": event},
                  status=status)


@page(Permission.REPORT_AE)
@require_POST
def follow_up(request: HttpRequest, actor: Actor, ae_id: int) -> HttpResponse:
    event = access.access_event(actor, ae_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        done, _recorded = _attempt(form, lambda: actions.do_record_follow_up(
            actor, event, **form.cleaned_data))
        if done:
            messages.success(request, _("Follow-up recorded."))
            return redirect("safety:event", ae_id=event.pk)
    return _detail(request, actor, access.access_event(actor, ae_id), form, status=422)


@page(CODE_TERMS)
@require_http_methods(["GET", "POST"])
def coding_queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        try:
            event_id = int(request.POST.get("event", ""))
        except ValueError:
            event_id = 0
        event = access.access_event(actor, event_id)
        if form.is_valid():
            coded = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
            done, _coded = _attempt(form, lambda: actions.do_code_adverse_event(
                actor, event, coded=coded, reason=form.cleaned_data["reason"]))
            if done:
                messages.success(request, _("%(key)s coded.") % {"key": event.key})
                return redirect("safety:coding")
    queue = list(access.visible_events(actor).filter(llt_code="").order_by("created_at", "pk")
                 [:500])
    release = current_dictionary()
    rows = [{"event": event, "suggestions": _suggestions(release, event.term)} for event in queue]
    status = 422 if request.method == "POST" else 200
    return render(request, "safety/coding.html",
                  {"actor": actor, "rows": rows, "form": form, "release": release is not None},
                  status=status)


def _suggestions(release: Any, term: str) -> list[Any]:
    """The release's current LLTs matching the verbatim term, or its longest word (at most 5)."""
    if release is None:
        return []
    words = sorted(term.split(), key=len, reverse=True)
    for text in [term, *words[:2]]:
        found = [llt for llt in release.search(text, 10) if llt.current][:5]
        if found:
            return found
    return []


@require_GET  # outermost: a POST is 405 for every role
@page(READ_PARTICIPANTS)
def summary(request: HttpRequest, actor: Actor) -> HttpResponse:
    events = list(access.visible_events(actor).order_by("onset_date", "pk"))
    serious = [event for event in events if event.facts().serious]
    return render(request, "safety/summary.html", {
        "actor": actor, "summary": presenters.pooled_summary(events),
        "serious": _rows(serious),
    })
