"""What every background job's row shares, whatever its work (a design simulation, an export, a
DSMB report, the analysis report): ``state``, ``done`` and ``total`` (or the simulation's chunks),
``error``, ``percent`` and ``updated_at``, moved by its task and shown on its page and by the API.

A job's progress is bookkeeping, not a change anyone made: its start and end are audited actions
of the job's app; in between, its task moves the row with :func:`mark_progress` alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from trialdesk.web.worker.models import WorkerBeat
from trialdesk.web.worker.runner import lease_seconds
from trialdesk.web.worker.steps import retrying as retrying  # the jobs' writes wait for SQLite


def mark_progress(model: type[models.Model], job_id: Any, **fields: Any) -> None:
    """Move the progress of ``model``'s job ``job_id``: one UPDATE of that row only.

    Not an action, and not audited: auditing a progress tick would add a record per tick and
    make the worker queue for the trial's write lock after each; one UPDATE statement of one row
    is atomic on its own and touches nothing else.
    """
    # update() skips auto_now, so the heartbeat is set here
    retrying(lambda: model._default_manager.filter(pk=job_id).update(
        updated_at=timezone.now(), **fields))


def live_workers() -> set[str]:
    """The workers that have beaten within their lease."""
    fresh = timezone.now() - dt.timedelta(seconds=lease_seconds())
    return set(WorkerBeat.objects.filter(seen_at__gte=fresh).values_list("worker_id",
                                                                          flat=True))


def worker_alive() -> bool:
    """Whether a worker has beaten within its lease (else a queued job waits for one)."""
    fresh = timezone.now() - dt.timedelta(seconds=lease_seconds())
    return WorkerBeat.objects.filter(seen_at__gte=fresh).exists()


def is_lost(job: Any, task: Task[Any, Any]) -> bool:
    """Whether ``job`` says it runs but no run of ``task`` (whose first argument is the job's
    id) waits or runs to end it: its task failed, or was pruned."""
    return job.state in (job.QUEUED, job.RUNNING) and not DBTaskResult.objects.filter(
        task_path=task.module_path, args_kwargs__args__0=str(job.pk),
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists()


def job_view(job: Any, task: Task[Any, Any], *, lost: str, unknown: str = "",
             head: dict[str, Any] | None = None,
             tail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The job's state and progress as the pages and the API show them, between the app's own
    fields ``head`` and ``tail``: a lost job (:func:`is_lost`) as failed with the error ``lost``,
    a failed one with its row's error (``unknown`` when it has none)."""
    state, error = job.state, job.error
    if is_lost(job, task):
        state, error = job.FAILED, lost
    view: dict[str, Any] = {"id": str(job.pk), **(head or {}), "state": state, "done": job.done,
                            "total": job.total, "percent": job.percent,
                            "created_at": job.created_at.isoformat(), **(tail or {})}
    if state == job.FAILED:
        view["error"] = error or unknown
    return view
