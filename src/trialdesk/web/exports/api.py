"""Exports in the JSON API, under /api/v1/exports.

``POST /exports`` starts a job (the allocation decided from the caller's role and the unblinding;
``"allocation": "none"`` asks for none), ``GET /exports/{id}`` reports its progress and
``GET /exports/{id}/download`` answers the ZIP. A caller sees their own jobs only: another's and
a missing one are the same 404. At most ``MAX_RUNNING`` jobs are alive at a time (waiting for a
worker or running on one that beats); a lost job is recorded failed first and blocks no one.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.exports import jobs
from trialdesk.web.exports.actions import do_start_export
from trialdesk.web.exports.context import allocation_for
from trialdesk.web.exports.formats import EXPORT_FORMATS, EXPORT_PERMISSIONS
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.exports.presenters import download_name, job_view

router = Router(tags=["exports"])
MAX_RUNNING = 2


class ExportIn(Idempotent):
    format: str = Field(min_length=1, max_length=40,
                        description="one of GET /exports/formats' names")
    allocation: Literal["none"] | None = Field(
        None, description="\"none\": no allocation in the files; default: the one the "
                          "caller's role gets (dummy before the final unblinding)")


@router.get("/exports/formats")
@endpoint(EXPORT_PERMISSIONS, record_readers=None)
def list_formats(request: HttpRequest) -> dict[str, Any]:
    """The formats the caller may export, and the allocation their files would carry."""
    actor = request_actor(request)
    return {"allocation": allocation_for(actor),
            "formats": [{"name": f.name, "label": f.label, "description": f.description}
                        for f in EXPORT_FORMATS.values() if actor.can_any(f.allowed_roles)]}


@router.post("/exports", response={201: dict})
@endpoint(EXPORT_PERMISSIONS, record_readers=None)
@idempotent("exports.start_export")
def start_export(request: HttpRequest, body: ExportIn) -> Status:
    """Start an export job; poll ``GET /exports/{id}`` for its progress. With an
    ``idempotency_key`` a retry answers the first job (as it was then) and starts none."""
    actor = request_actor(request)
    if body.format not in EXPORT_FORMATS:
        raise InvalidInput("format", f"one of {', '.join(EXPORT_FORMATS)}")
    if running() >= MAX_RUNNING:
        raise Conflict("busy", "other exports are running; try again in a minute")
    allocation = allocation_for(actor, without=body.allocation == "none")
    job = do_start_export(actor, format_name=body.format, allocation=allocation)
    return Status(201, job_view(job))


def running() -> int:
    """How many jobs are alive now, once the lost ones are recorded failed (``jobs``)."""
    jobs.settle_lost()
    return len(jobs.alive_jobs())


def own_job(owner: Any, job_id: str) -> ExportJob:
    """The owner's job; another user's and a missing one are the same NotFound."""
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        key = None
    job = ExportJob.objects.filter(pk=key, owner=owner).first() if key else None
    if job is None:
        raise NotFound("no such export")
    return job


@router.get("/exports/{job_id}")
@endpoint(EXPORT_PERMISSIONS, record_readers=None)
def export_status(request: HttpRequest, job_id: str) -> dict[str, Any]:
    return job_view(own_job(request.auth, job_id))


@router.get("/exports/{job_id}/download")
@endpoint(EXPORT_PERMISSIONS, record_readers=None)
def export_download(request: HttpRequest, job_id: str) -> FileResponse:
    """The job's files as one ZIP (409 until the job is done)."""
    job = own_job(request.auth, job_id)
    if job.state != ExportJob.DONE:
        raise Conflict("not_ready", f"the export is {job.state}")
    path = jobs.archive_path(job.pk)
    if not path.is_file():
        raise NotFound("the export's files are gone")
    return FileResponse(path.open("rb"), as_attachment=True, filename=download_name(job),
                        content_type="application/zip")
