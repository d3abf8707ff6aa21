"""The writers of export jobs: a role (or the command line's operator) starts one, its task
finishes it. Both are audited: who exported which format, when, with which allocation, and the
SHA-256 of what was written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import transaction

from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, Forbidden
from trialdesk.web.exports.formats import EXPORT_PERMISSIONS, Allocation, get_format
from trialdesk.web.exports.models import ExportJob

SYSTEM = "system"
OPERATOR = "cli"  # the command line's operator (no role: see context.allocation_for)
KEEP_PER_USER = 10


def _start(who: str, owner: Any, format_name: str, allocation: Allocation, *,
           folder: Path | None = None, worker_id: str = "",
           data_cutoff: dt.datetime | None = None) -> ExportJob:
    """Store the job and enqueue its task in this transaction (the task exists exactly when the
    job does, and its worker reads a committed row); ``worker_id``: the task is claimed by that
    worker at once (the command line runs it itself), so that no other worker takes it."""
    from trialdesk.web.exports.jobs import run_export  # jobs imports this module

    export_format = get_format(format_name)
    if export_format.needs_real_allocation and allocation != "real":
        raise Conflict("trial_blinded",
                       f"the {format_name} export opens with the final unblinding")
    job = ExportJob.objects.create(owner=owner, format=format_name, allocation=allocation,
                                   data_cutoff=data_cutoff)
    changes = {"format": {"old": None, "new": format_name},
               "allocation": {"old": None, "new": allocation}}
    if data_cutoff is not None:
        changes["data_cutoff"] = {"old": None, "new": data_cutoff.isoformat()}
    append_audit(actor=who, action="start_export", model="export_job", object_id=str(job.pk),
                 changes=changes, reason="scheduled data cut" if data_cutoff else "")
    if owner is not None:
        old = list(ExportJob.objects.filter(owner=owner).values_list("pk", "state")[
            KEEP_PER_USER:])
        for pk, state in old:
            append_audit(actor=who, action="forget_export", model="export_job",
                         object_id=str(pk), changes={"state": {"old": state, "new": None}})
        ExportJob.objects.filter(pk__in=[pk for pk, _ in old]).delete()
        forgotten = [pk for pk, _ in old]
        transaction.on_commit(lambda: _remove_files(forgotten))
    # a worker that runs the task again (the command line died) may have another working folder
    result = run_export.enqueue(str(job.pk), str(folder.absolute()) if folder else "",
                                folder is None)
    if worker_id:
        result.db_result.claim(worker_id)
    return job


def _remove_files(job_ids: list[Any]) -> None:
    """The files of forgotten jobs (once their rows are gone for good: after the commit)."""
    import shutil

    from trialdesk.web.exports.jobs import archive_path, job_folder

    for job_id in job_ids:
        shutil.rmtree(job_folder(job_id), ignore_errors=True)
        archive_path(job_id).unlink(missing_ok=True)


@action(EXPORT_PERMISSIONS)
def do_start_export(actor: Actor, *, format_name: str, allocation: Allocation) -> ExportJob:
    """Store a queued export job of ``actor``'s (the allocation decided by ``context``).

    Its task (``jobs.run_export``) is enqueued in the same transaction; a worker runs it. A
    format the role may not run is refused (403).
    """
    export_format = get_format(format_name)
    if not actor.can_any(export_format.allowed_roles):
        raise Forbidden(f"the role {actor.role} may not export {format_name}")
    return _start(actor.username, actor.user, format_name, allocation)


def start_scheduled_cut(actor: Actor, *, format_name: str, allocation: Allocation,
                        data_cutoff: dt.datetime) -> ExportJob:
    """A scheduled data cut's export, as ``actor`` would start it on the exports page (the
    same refusals, audited in their name, listed on their page); called inside the
    scheduler's claim (``schedules.scheduler``), which is the write transaction."""
    export_format = get_format(format_name)
    if not actor.can_any(export_format.allowed_roles):
        raise Forbidden(f"the role {actor.role} may not export {format_name}")
    return _start(actor.username, actor.user, format_name, allocation, data_cutoff=data_cutoff)


@action(None)
def do_start_export_from_command_line(*, format_name: str, allocation: Allocation,
                                      folder: Path | None = None,
                                      worker_id: str = "") -> ExportJob:
    """The same for ``trialdesk export`` (the server's operator, audited as "cli"): the files go
    to ``folder`` without a ZIP; the command line claims the task as ``worker_id`` and runs it
    itself (``jobs.run_here``)."""
    return _start(OPERATOR, None, format_name, allocation, folder=folder, worker_id=worker_id)


@action(None)
def do_finish_export(job_id: Any, *, state: str, files: list[str] | None = None,
                     sha256: str = "", error: str = "") -> ExportJob | None:
    """Record a job's end (done with its files and their SHA-256, or failed), audited as
    "system"; a job already ended or forgotten is left alone."""
    if state not in (ExportJob.DONE, ExportJob.FAILED):
        raise ValueError(f"a job ends done or failed, not {state!r}")
    job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state in (ExportJob.DONE, ExportJob.FAILED):
        return None
    changes: dict[str, dict[str, Any]] = {"state": {"old": job.state, "new": state}}
    if state == ExportJob.DONE:
        changes["files"] = {"old": None, "new": files or []}
        changes["sha256"] = {"old": None, "new": sha256}
    else:
        changes["error"] = {"old": None, "new": error}
    job.state, job.files, job.sha256, job.error = state, files or [], sha256, error
    job.save(update_fields=["state", "files", "sha256", "error", "updated_at"])
    append_audit(actor=SYSTEM, action="finish_export", model="export_job",
                 object_id=str(job.pk), changes=changes)
    return job
