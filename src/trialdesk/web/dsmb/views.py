"""DSMB pages: meetings with their reports and recommendations, a report as HTML or PDF, and the
stopping rule's boundary table (every role; the signals' counts for the DSMB only)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trialdesk.blinding import Permission
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import ANY_ROLE
from trialdesk.web.dsmb import actions, jobs, presenters
from trialdesk.web.dsmb import render as documents
from trialdesk.web.dsmb.models import Meeting, ReportJob, SignalAlert
from trialdesk.web.dsmb.presenters import MEETING_READERS
from trialdesk.web.trials.models import DECISION_LABELS, DsmbRecommendation


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(name, gettext_noop("expected a date, YYYY-MM-DD")) from None


@page(MEETING_READERS, record_readers=None)
@require_http_methods(["GET", "POST"])
def meetings(request: HttpRequest, actor: Actor) -> HttpResponse:
    refused = None
    if request.method == "POST":
        try:
            meeting = actions.do_create_meeting(
                actor, date=_date(request.POST.get("date", ""), "date"),
                kind=request.POST.get("kind", ""),
                cutoff=_date(request.POST.get("cutoff", ""), "cutoff"),
                attendees=request.POST.get("attendees", ""))
        except InvalidInput as found:
            refused = found  # shown beside its field (layout's field_error)
        else:
            return redirect("dsmb:meeting", meeting.pk)
    listed = [presenters.meeting_view(actor, m) for m in Meeting.objects.order_by("-date", "-pk")]
    return render(request, "dsmb/meetings.html", {
        "actor": actor, "meetings": listed, "refused": refused,
        "may_create": actor.can(Permission.RECOMMEND)}, status=422 if refused else 200)


@require_GET  # 405 to every role, before the permission
@page(MEETING_READERS, record_readers=None)
def meeting(request: HttpRequest, actor: Actor, meeting_id: int) -> HttpResponse:
    found = presenters.access_meeting(meeting_id)
    view = presenters.meeting_view(actor, found, request.LANGUAGE_CODE)
    for recommendation in view["recommendations"]:  # the API's codes, the reader's words
        recommendation["decision_words"] = DECISION_LABELS.get(
            recommendation["decision"], recommendation["decision_label"])
        if recommendation["response"]:
            answer = recommendation["response"]
            answer["words"] = presenters.RESPONSE_LABELS.get(answer["response"],
                                                             answer["response"])
    pending = [jobs.job_view(j) for j in presenters.visible_jobs(actor).filter(
        meeting=found).exclude(state=ReportJob.DONE)[:10]]
    return render(request, "dsmb/meeting.html", {
        "actor": actor, "meeting": view, "jobs": pending,
        "may_generate": actor.can(Permission.UNBLINDED_REPORTS),
        "may_sign": actor.can(Permission.RECOMMEND),
        "may_respond": actor.can(Permission.RESPOND_RECOMMENDATION),
        "decisions": [(code, DECISION_LABELS.get(code, label))
                      for code, label in DsmbRecommendation.DECISIONS],
        "responses": list(presenters.RESPONSE_LABELS.items()),
        "meaning": actions.recommendation_meaning(request.LANGUAGE_CODE or "en")})


@page(Permission.UNBLINDED_REPORTS, record_readers=None)
@require_POST
def generate(request: HttpRequest, actor: Actor, meeting_id: int) -> HttpResponse:
    """Queue the report's generation and answer at once: its page shows the progress."""
    found = presenters.access_meeting(meeting_id)
    try:
        job = actions.do_start_report_job(actor, found, kind=request.POST.get("kind", ""))
    except InvalidInput as refused:
        messages.error(request, f"{refused.field}: {refused.rule}")
        return redirect("dsmb:meeting", found.pk)
    return redirect("dsmb:job", job.pk)


@require_GET  # 405 to every role, before the permission
@page(MEETING_READERS, record_readers=None)
def job(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    """A report job: its progress while it runs (the page refreshes itself), then the report."""
    found = presenters.access_job(actor, job_id)
    view = jobs.job_view(found)
    if view["state"] == ReportJob.DONE:
        return redirect("dsmb:report", view["report"])
    return render(request, "dsmb/job.html", {
        "actor": actor, "job": found, "view": view,
        "reason": jobs.reason(view.get("error", "")),
        "no_worker": view["state"] == ReportJob.QUEUED and not jobs.worker_alive()})


@require_GET  # 405 to every role, before the permission
@page(MEETING_READERS, record_readers=None)
def job_status(request: HttpRequest, actor: Actor, job_id: str) -> JsonResponse:
    view = jobs.job_view(presenters.access_job(actor, job_id))
    return JsonResponse({k: view[k] for k in ("state", "done", "total", "percent")})


@page(Permission.RECOMMEND, record_readers=None)
@require_POST
def sign(request: HttpRequest, actor: Actor, meeting_id: int) -> HttpResponse:
    found = presenters.access_meeting(meeting_id)
    try:
        actions.do_sign_recommendation(
            actor, found, decision=request.POST.get("decision", ""),
            rationale=request.POST.get("rationale", ""),
            password=request.POST.get("password", ""),
            language=request.LANGUAGE_CODE or "en")
    except (InvalidInput, Conflict) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Recommendation signed."))
    return redirect("dsmb:meeting", found.pk)


@page(Permission.RESPOND_RECOMMENDATION, record_readers=None)
@require_POST
def respond(request: HttpRequest, actor: Actor, recommendation_id: int) -> HttpResponse:
    answer = None
    try:
        answer = actions.do_respond_recommendation(
            actor, recommendation_id, response=request.POST.get("response", ""),
            text=request.POST.get("text", ""))
    except (InvalidInput, Conflict) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Response recorded."))
    if answer is not None:
        return redirect("dsmb:meeting", answer.recommendation.signature.meeting_id)
    return redirect("dsmb:meetings")


@require_GET  # 405 to every role, before the permission
@page(MEETING_READERS, record_readers=None)
def report(request: HttpRequest, actor: Actor, report_id: int) -> HttpResponse:
    found = presenters.access_report(actor, report_id)
    _language, html, _digest = found.document(request.LANGUAGE_CODE or found.language)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@require_GET  # 405 to every role, before the permission
@page(MEETING_READERS, record_readers=None)
def report_pdf(request: HttpRequest, actor: Actor, report_id: int) -> HttpResponse:
    found = presenters.access_report(actor, report_id)
    language, html, _digest = found.document(request.LANGUAGE_CODE or found.language)
    response = HttpResponse(documents.pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="dsmb-report-{found.pk}-{language}.pdf"')
    return response


@require_GET  # 405 to every role, before the permission
@page(ANY_ROLE, record_readers=None)
def stopping_rule(request: HttpRequest, actor: Actor) -> HttpResponse:
    undelivered = (SignalAlert.objects.exclude(status=SignalAlert.SENT).order_by("pk")
                   if presenters.sees_closed(actor) else [])
    return render(request, "dsmb/boundary.html", {
        "actor": actor, "rule": presenters.boundary_view(actor), "undelivered": undelivered,
        "signals": presenters.signals_view(actor), "dsmb": presenters.sees_closed(actor)})
