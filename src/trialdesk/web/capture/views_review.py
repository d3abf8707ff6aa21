"""Pages across participants: queries, the site worklist, completeness, locks, bulk import."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trialdesk.blinding import Permission
from trialdesk.protocol.censored import display_text
from trialdesk.web.amendments.versions import latest_number, protocol_for_site, protocol_version
from trialdesk.web.capture import actions, presenters
from trialdesk.web.capture.access import (
    access_form_slot,
    access_lock_by_id,
    access_query_by_id,
    instance_form,
    visible_queries,
)
from trialdesk.web.capture.completeness import completeness_at_their_sites, totals
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.forms import display_number
from trialdesk.web.capture.importing import (
    ImportTooLarge,
    import_rows,
    json_rows,
    parse_rows,
    pasted_text,
    upload_text,
)
from trialdesk.web.capture.lock_readiness import LockRefused
from trialdesk.web.capture.messages import field_labels, problem_text, query_text, thread_text
from trialdesk.web.capture.models import DRAFT, FormInstance, Lock, Query
from trialdesk.web.capture.schedule import next_visits_at_their_sites
from trialdesk.web.capture.state import active_database_lock
from trialdesk.web.capture.views import _visit_title, refused
from trialdesk.web.capture.views_locks import render_readiness
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput
from trialdesk.web.core.models import Site
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.core.uploads import uploads_too_large
from trialdesk.web.trials import access

WORKLIST_PAGE = 50


def _shown(definition: Any, value: Any) -> Any:
    """A stored value as the form page shows it (a result below the assay's limit as "<5")."""
    return display_number(definition, value) if definition is not None else display_text(value)


def _lang() -> str:
    return (get_language() or "en")[:2]


def _whole(text: str | None, default: int) -> int:
    """Return a posted whole number; 0 (no such record: a 404) when it is not one."""
    try:
        return int(text or default)
    except ValueError:
        return 0


def _site_filter(request: HttpRequest, actor: Actor) -> str:
    """Return the site to show: a site role's own, else the one picked (blank: all)."""
    return actor.site if actor.site else request.GET.get("site", "")


@page(READ_PARTICIPANTS)
def query_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", Query.OPEN)
    site = _site_filter(request, actor)
    queries = visible_queries(actor)
    counts = dict(queries.filter(status=Query.OPEN).values_list("site__code").annotate(
        n=Count("id")).order_by("site__code"))
    if status in (Query.OPEN, Query.ANSWERED, Query.CLOSED):
        queries = queries.filter(status=status)
    if site:
        queries = queries.filter(site__code=site)
    paginator = Paginator(queries.select_related("participant", "form_instance")
                          .order_by("-raised_at", "-pk"), 100)
    shown = paginator.get_page(request.GET.get("page"))
    return render(request, "capture/queries.html", {
        "actor": actor, "page": shown, "rows": [_query_row(q) for q in shown.object_list],
        "status": status, "site": site, "open_by_site": counts,
        "sites": Site.objects.order_by("code"),
    })


def _query_row(query: Query) -> dict[str, Any]:
    """A query of the list by its visit's, form's and field's names and its question in the
    reader's language (issue 19)."""
    language = _lang()
    instance = query.form_instance
    form = instance_form(instance)
    field = next((f for f in form.fields if f.code == query.field), None) if form else None
    check = next((c for c in form.checks if c.code == query.field), None) if form else None
    return {"query": query, "visit": _visit_title(instance.visit),
            "form": form.title.text(language) if form else instance.form,
            "field": field.label.text(language) if field else (
                check.message.text(language) if check else query.field),
            "text": query_text(query, form, language)}


@page(READ_PARTICIPANTS)
@require_http_methods(["GET", "POST"])
def query_page(request: HttpRequest, actor: Actor, query_id: int) -> HttpResponse:
    query = access_query_by_id(actor, query_id)
    instance = query.form_instance
    slot = access_form_slot(actor, query.participant.code, instance.visit, instance.form,
                            instance.seq)
    refusal, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        text = request.POST.get("text", "")
        try:
            if action == "answer":
                value = request.POST.get("correction", "").strip()
                correction = {query.field: value} if value else None
                actions.do_answer_query(actor, query, text=text, slot=slot,
                                        correction=correction,
                                        reason=request.POST.get("reason", ""),
                                        confirm=tuple(request.POST.getlist("confirm")))
            elif action == "close":
                actions.do_close_query(actor, query, text=text)
            elif action == "reopen":
                actions.do_reopen_query(actor, query, text=text)
            else:
                raise InvalidInput("action", "must be answer, close or reopen")
        except FormRejected as problem:
            # the corrected value broke the form's rules: said beside the correction's field
            language = get_language() or "en"
            refusal, status = InvalidInput("correction", "; ".join(
                f"{field_labels(p, slot.form, language)}: {problem_text(p, slot.form, language)}"
                for p in problem.problems)), 422
        except InvalidInput as problem:
            # beside its field (layout's field_error); the close and re-open form's text is
            # its note, the answer form's its answer
            field = problem.field
            if field == "text" and action != "answer":
                field = "note"
            refusal, status = InvalidInput(field, problem.rule), 422
        except Conflict as problem:
            return refused(request, actor, problem)
        else:
            messages.success(request, _("The query was updated."))
            return redirect("capture:query", query_id=query.pk)
    view = presenters.query_view(query)
    definition = next((f for f in slot.form.fields if f.code == query.field), None)
    return render(request, "capture/query.html", {
        "actor": actor, "q": view, "refused": refusal,
        "value": _shown(definition, slot.instance.values.get(query.field)
                        if slot.instance else None),
        "field_label": definition.label.text(_lang()) if definition else query.field,
        "correctable": definition is not None and definition.derived is None,
        # the visit and form by their names, times in the reader's zone; the field's and the
        # rule's codes only in "show codes" (issue 19)
        "visit_title": _visit_title(instance.visit), "form_title": slot.form.title.text(_lang()),
        "show_codes": actor.can(Permission.RAISE_QUERIES) and request.GET.get("codes") == "1",
        "thread": [{**message, "at": dt.datetime.fromisoformat(message["at"]),
                    "text": thread_text(message["text"], message["action"], query, slot.form,
                                        _lang())}
                   for message in view.get("messages", [])],
    }, status=status)


@page("raise_queries")
@require_POST
def raise_query(request: HttpRequest, actor: Actor, code: str, visit: str,
                form: str) -> HttpResponse:
    slot = access_form_slot(actor, code, visit, form, _whole(request.POST.get("seq"), 1))
    if slot.instance is None:
        raise Forbidden("nothing entered on this form")
    try:
        query = actions.do_raise_query(actor, slot.instance, field=request.POST.get("field", ""),
                                       text=request.POST.get("text", ""))
    except InvalidInput as problem:
        messages.error(request, f"{problem.field}: {problem.rule}")
        return redirect(request.POST.get("next") or "capture:queries")
    except Conflict as problem:
        return refused(request, actor, problem)
    return redirect("capture:query", query_id=query.pk)


@page(READ_PARTICIPANTS)
def worklist(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The site's randomized participants with their next visit, drafts and open queries."""
    site = _site_filter(request, actor)
    participants = access.visible_participants(actor).filter(randomization__isnull=False)
    if site:
        participants = participants.filter(site__code=site)
    paginator = Paginator(participants.select_related("site").order_by("code"), WORKLIST_PAGE)
    current = paginator.get_page(request.GET.get("page"))
    ids = [p.pk for p in current]
    forms = {row["participant_id"]: row for row in FormInstance.objects.filter(
        participant_id__in=ids).values("participant_id").annotate(
        drafts=Count("id", filter=Q(status=DRAFT)), total=Count("id"))}
    queries = dict(Query.objects.filter(participant_id__in=ids, status=Query.OPEN).values_list(
        "participant_id").annotate(n=Count("id")).order_by())
    following = next_visits_at_their_sites({p.pk: p.site.code for p in current},
                                           today=clock.today())
    rows = []
    for participant in current:
        upcoming = presenters.next_visit_view(following.get(participant.pk), _lang(),
                                              protocol_for_site(participant.site).visits)
        rows.append({"code": participant.code, "site": participant.site.code,
                     "next_code": upcoming["visit"] if upcoming else "",
                     "next_visit": upcoming["title"] if upcoming else "",
                     "next_status": upcoming["status"] if upcoming else "",
                     "next_date": upcoming["target_date"] if upcoming else "",
                     # shown as the reader's language writes a date (the API keeps ISO 8601)
                     "next_day": (dt.date.fromisoformat(upcoming["target_date"])
                                  if upcoming else None),
                     "drafts": forms.get(participant.pk, {}).get("drafts", 0),
                     "forms": forms.get(participant.pk, {}).get("total", 0),
                     "open_queries": queries.get(participant.pk, 0)})
    scope = FormInstance.objects.filter(site__code=site) if site else FormInstance.objects.all()
    query_scope = Query.objects.filter(site__code=site) if site else Query.objects.all()
    if actor.policy.is_site_scoped(actor.role):
        scope = scope.filter(site__code=actor.site)
        query_scope = query_scope.filter(site__code=actor.site)
    return render(request, "capture/worklist.html", {
        "actor": actor, "rows": rows, "page": current, "site": site,
        "sites": Site.objects.order_by("code"),
        "drafts": scope.filter(status=DRAFT).count(),
        "open_queries": query_scope.filter(status=Query.OPEN).count(),
    })


@page(READ_PARTICIPANTS)
def completeness(request: HttpRequest, actor: Actor) -> HttpResponse:
    site = _site_filter(request, actor)
    participants = access.visible_participants(actor)
    if site:
        participants = participants.filter(site__code=site)
    rows = completeness_at_their_sites(participants, today=clock.today())
    # the visits of every recorded version: an amendment may have added one
    titles = {v.code: v.title.text(_lang())
              for v in [*protocol_version(latest_number()).visits, *get_protocol().visits]}
    forms = {f.code: f.title.text(_lang())
             for f in [*protocol_version(latest_number()).forms, *get_protocol().forms]}
    return render(request, "capture/completeness.html", {
        "actor": actor, "rows": rows, "totals": totals(rows), "visit_titles": titles,
        "form_titles": forms,
        "site": site, "sites": Site.objects.order_by("code"),
    })


@page("lock")
@require_http_methods(["GET", "POST"])
def locks(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "unlock":
                lock = access_lock_by_id(actor, _whole(request.POST.get("lock"), 0))
                actions.do_unlock(actor, lock, reason=request.POST.get("reason", ""))
            else:
                # no default: a post without a scope must not lock the whole database
                scope = request.POST.get("scope", "")
                participant = instance = None
                if scope in (Lock.PARTICIPANT, Lock.FORM):
                    participant = access.access_participant_by_code(
                        actor, request.POST.get("participant", ""))
                if scope == Lock.FORM:
                    instance = access_form_slot(
                        actor, participant.code, request.POST.get("visit", ""),
                        request.POST.get("form", ""), _whole(request.POST.get("seq"), 1)).instance
                    if instance is None:
                        raise Conflict("not_complete", _("Nothing has been entered on this form."))
                actions.do_lock(actor, scope, participant=participant, instance=instance,
                                reason=request.POST.get("reason", ""))
        except InvalidInput as problem:
            messages.error(request, f"{problem.field}: {problem.rule}")
        except LockRefused as problem:  # the checklist's items, and the override, on that page
            return render_readiness(request, actor, Lock.PARTICIPANT if participant else
                                    Lock.DATABASE, participant.code if participant else "",
                                    refusal=problem, status=409)
        except Conflict as problem:
            return refused(request, actor, problem)
        else:
            messages.success(request, _("Done."))
        return redirect(request.POST.get("next") or "capture:locks")
    active = Lock.objects.filter(unlocked_at__isnull=True).select_related(
        "participant", "form_instance__participant", "locked_by").order_by("-locked_at")
    return render(request, "capture/locks.html", {
        "actor": actor, "database_lock": active_database_lock(),
        "locks": [presenters.lock_view(lock) for lock in active[:500]],
    })


@page("enter_forms")
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    result, error, status = None, None, 200
    if request.method == "POST":
        fmt = request.POST.get("format", "csv")
        try:
            # a file over the limit was discarded as it streamed in (core.uploads)
            if uploads_too_large(request):
                raise ImportTooLarge("file")
            upload = request.FILES.get("file")
            text = upload_text(upload) if upload else pasted_text(request.POST.get("text", ""))
            data = json_rows(text) if fmt == "json" else text
            result = import_rows(actor, parse_rows(fmt, data),
                                 all_or_nothing=request.POST.get("all_or_nothing") == "on")
        except ImportTooLarge as problem:
            error, status = str(problem), 413
        except (ValueError, InvalidInput) as problem:
            error, status = str(problem), 422
        else:
            status = 200 if not result.errors else 422
    return render(request, "capture/import.html", {
        "actor": actor, "result": result, "error": error}, status=status)
