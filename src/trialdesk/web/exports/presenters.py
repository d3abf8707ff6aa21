"""What the API and the pages show of an export job (the same for every role: a job holds no
arm; its files do, as the allocation it names)."""

from __future__ import annotations

from typing import Any

from trialdesk.web.exports.jobs import LOST, run_export
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.worker import jobs as worker_jobs


def job_view(job: ExportJob) -> dict[str, Any]:
    """The job as the API and the pages show it; a lost one (no task will end it) as failed,
    before the next start records it so (``jobs.settle_lost``)."""
    view = worker_jobs.job_view(
        job, run_export, lost=LOST, head={"format": job.format, "allocation": job.allocation},
        tail={"data_cutoff": job.data_cutoff.isoformat() if job.data_cutoff else None})
    if view["state"] == ExportJob.DONE:
        view.update(files=job.files, sha256=job.sha256,
                    download=f"/api/v1/exports/{job.pk}/download")
    return view


def download_name(job: ExportJob) -> str:
    """``trialdesk-<format>-<date>.zip``: nothing of the allocation in the name."""
    return f"trialdesk-{job.format}-{job.created_at:%Y%m%d-%H%M%S}.zip"
