"""The analysis report: /reports/ queues its generation for the reader (a background task) and
shows their latest one; a job's page shows its progress, then the report; the report as one
standalone HTML file to download."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import READ_REPORT
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.reports import jobs
from trialdesk.web.reports.actions import do_start_analysis_report
from trialdesk.web.reports.context import report_context as report_context  # tests, outputs
from trialdesk.web.reports.models import AnalysisReportJob
from trialdesk.web.trials.access import sees_every_arm


def own_jobs(actor: Actor):
    """The reader's jobs made for the role they act as now: another person's, or their own as
    another role (a report with arms, read as a blinded role), are never shown."""
    found = AnalysisReportJob.objects.filter(owner=actor.user, membership_id=actor.membership_id)
    if not sees_every_arm(actor):
        found = found.filter(shows_arms=False)
    return found


def own_job(actor: Actor, job_id: str) -> AnalysisReportJob:
    """One of ``own_jobs``; NotFound alike for another's, a missing one and an id that is none."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        key = None
    job = own_jobs(actor).filter(pk=key).first() if key else None
    if job is None:
        raise NotFound("no such analysis report")
    return job


def _language() -> str:
    return (get_language() or "en")[:2]


@require_http_methods(["GET", "POST"])
@page(READ_REPORT)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    """POST: queue the report and answer at once (its page shows the progress); GET: the
    reader's latest report in their language, and their recent jobs."""
    if request.method == "POST":
        job = do_start_analysis_report(actor, language=_language())
        return redirect("reports:job", job_id=job.pk)
    mine = own_jobs(actor)
    latest = mine.filter(state=AnalysisReportJob.DONE, language=_language()).first()
    recent = [(job, jobs.job_view(job)) for job in mine.defer("html", "standalone")[:5]]
    return render(request, "reports/index.html", {
        "actor": actor, "latest": latest, "recent": recent,
        "shows_arms": latest.shows_arms if latest else sees_every_arm(actor)})


@require_GET
@page(READ_REPORT)
def job(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    """A job's progress while it runs (the page refreshes itself), then its report."""
    found = own_job(actor, job_id)
    view = jobs.job_view(found)
    return render(request, "reports/job.html", {
        "actor": actor, "job": found, "view": view, "shows_arms": found.shows_arms,
        "reason": jobs.reason(view.get("error", "")),
        "no_worker": view["state"] == AnalysisReportJob.QUEUED and not jobs.worker_alive()})


@require_GET
@page(READ_REPORT)
def job_status(request: HttpRequest, actor: Actor, job_id: str) -> JsonResponse:
    view = jobs.job_view(own_job(actor, job_id))
    return JsonResponse({k: view[k] for k in ("state", "done", "total", "percent")})


def _download(job: AnalysisReportJob) -> HttpResponse:
    if job.state != AnalysisReportJob.DONE or job.generated_at is None:
        raise NotFound("the report is not generated yet")
    response = HttpResponse(job.standalone, content_type="text/html; charset=utf-8")
    # the name says what the file is and when, the same for every reader's role and allocation
    stamp = job.generated_at.strftime("%Y-%m-%d")
    nct_id = get_protocol().registry.nct_id
    response["Content-Disposition"] = (
        f'attachment; filename="{nct_id}-analysis-report-{stamp}.html"')
    return response


@require_GET
@page(READ_REPORT)
def job_download(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    """The job's report as one HTML file with its styles and figures inside."""
    return _download(own_job(actor, job_id))


@require_GET
@page(READ_REPORT)
def download(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The reader's latest report (in their language) as one HTML file."""
    latest = own_jobs(actor).filter(state=AnalysisReportJob.DONE,
                                    language=_language()).first()
    if latest is None:
        raise Http404("no analysis report generated yet: generate one on /reports/")
    return _download(latest)
