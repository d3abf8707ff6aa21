"""The analysis report's jobs in the JSON API: ``GET /reports/jobs/{id}`` answers a job's state
and progress to the reader who queued it, acting as the same role (another's, and a missing
one, are the same 404); never the report itself, which the page and its download show."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.permissions import READ_REPORT
from trialdesk.web.reports import jobs
from trialdesk.web.reports.views import own_job

router = Router(tags=["reports"])


@router.get("/reports/jobs/{job_id}")
@endpoint(READ_REPORT)
def report_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """An analysis report job queued on /reports/: its state, steps done, whether the report
    shows arms or coded groups once done, a failure's reason as a code."""
    return jobs.job_view(own_job(request_actor(request), job_id))
