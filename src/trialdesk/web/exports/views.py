"""The exports page: a button per format the role may run, each job's progress and download."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, NotFound
from trialdesk.web.core.pages import page
from trialdesk.web.exports import jobs
from trialdesk.web.exports.actions import KEEP_PER_USER, do_start_export
from trialdesk.web.exports.api import MAX_RUNNING, own_job, running
from trialdesk.web.exports.context import allocation_for
from trialdesk.web.exports.formats import EXPORT_FORMATS, EXPORT_PERMISSIONS
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.exports.presenters import job_view


def _formats(actor: Actor) -> list:
    """The formats the actor may run now (one that needs the real arms: only with them)."""
    real = allocation_for(actor) == "real"
    return [f for f in EXPORT_FORMATS.values() if actor.can_any(f.allowed_roles)
            and (real or not f.needs_real_allocation)]


@require_http_methods(["GET", "POST"])
@page(EXPORT_PERMISSIONS, record_readers=None)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    error, status = "", 200
    if request.method == "POST":
        name = request.POST.get("format", "")
        if name not in {f.name for f in _formats(actor)}:
            error, status = _("format: choose one of the formats listed"), 400
        elif running() >= MAX_RUNNING:
            error, status = _("Other exports are running; try again in a minute."), 409
        else:
            allocation = allocation_for(actor, without=request.POST.get("allocation") == "none")
            try:
                job = do_start_export(actor, format_name=name, allocation=allocation)
            except Conflict as refused:  # "without allocation" for a format that needs the arms
                error, status = refused.message, 409
            else:
                return redirect("exports:job", job_id=job.pk)
    recent = list(ExportJob.objects.filter(owner=request.user)[:KEEP_PER_USER])
    for shown in recent:  # a lost job as the API shows it: failed
        shown.shown_state = ExportJob.FAILED if jobs.is_lost(shown) else shown.state
    return render(request, "exports/index.html", {
        "actor": actor, "formats": _formats(actor), "allocation": allocation_for(actor),
        "recent": recent, "error": error}, status=status)


def _own(request: HttpRequest, job_id: str) -> ExportJob:
    try:
        return own_job(request.user, job_id)
    except NotFound:
        raise Http404("no such export") from None


@require_GET
@page(EXPORT_PERMISSIONS, record_readers=None)
def job(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    found = _own(request, job_id)
    view = job_view(found)
    no_worker = view["state"] == ExportJob.QUEUED and not jobs.worker_alive()
    return render(request, "exports/job.html", {"actor": actor, "job": found, "view": view,
                                                "no_worker": no_worker})


@require_GET
@page(EXPORT_PERMISSIONS, record_readers=None)
def job_status(request: HttpRequest, actor: Actor, job_id: str) -> JsonResponse:
    found = _own(request, job_id)
    view = job_view(found)
    return JsonResponse({k: view[k] for k in ("state", "done", "total", "percent")})
