"""Run an export job as a background task (issue 20's queue), recording progress on the job row.

A job is started by :func:`~trialdesk.web.exports.actions.do_start_export` (or the command line's
``do_start_export_from_command_line``), which enqueues the task :data:`run_export` in its own
transaction: the task exists exactly when the job does. A worker (``trialdesk worker``, or the
one ``trialdesk serve`` starts) runs it; the command line runs its own job's task in its own
process with a progress bar (``run_here``), beating as a worker does. If whoever runs it dies
(a restart, an OOM kill), the worker lease puts the task back in the queue and another worker
runs it again: an export is one pass over the database, so the run starts over and rewrites the
files, and the job's end is recorded once (``actions.do_finish_export``).

The files go to ``<data dir>/exports/<job id>/`` and, for the download, into one ZIP beside it;
the job's end records their names and the ZIP's SHA-256 (audited). Progress ticks are one
UPDATE of the job's row and not audited (as the design simulations').

A job counts against the API's ``MAX_RUNNING`` only while it is alive (``alive_jobs``): its task
waits in the queue or runs on a worker that beats. One whose task ended without ending it, or
is gone, is lost: ``settle_lost`` records it failed, so lost jobs never block new exports.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connection
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from trialdesk.web.datadir import data_dir
from trialdesk.web.exports.actions import do_finish_export
from trialdesk.web.exports.context import build_context
from trialdesk.web.exports.formats import Progress, get_format
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.worker import jobs as worker_jobs
from trialdesk.web.worker.jobs import live_workers, retrying
from trialdesk.web.worker.jobs import worker_alive as worker_alive  # the pages read it here

LOST = "its task ended without finishing it (its worker was lost); start the export again"
INTERRUPTED = "interrupted on the command line"
log = logging.getLogger(__name__)


def job_folder(job_id: Any) -> Path:
    return data_dir() / "exports" / str(job_id)


def archive_path(job_id: Any) -> Path:
    return data_dir() / "exports" / f"{job_id}.zip"


@task()
def run_export(job_id: str, folder: str = "", archive: bool = True) -> None:
    """The background task of one job (enqueued by ``actions._start``); ``folder``: where to
    write (default: the job's folder in the data directory), ``archive``: also the ZIP."""
    run_job(job_id, Path(folder) if folder else None, archive=archive, raise_unmarked=True)


def task_of(job_id: Any) -> DBTaskResult | None:
    """The task row that runs the job (None once pruned, or for a job enqueued by no one)."""
    return DBTaskResult.objects.filter(task_path=run_export.module_path,
                                       args_kwargs__args__0=str(job_id)).order_by(
        "-enqueued_at").first()


def _unfinished_tasks() -> dict[str, DBTaskResult]:
    """The export tasks waiting or running, by job id (few: at most a few per user)."""
    rows = DBTaskResult.objects.filter(
        task_path=run_export.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
    return {str(row.args_kwargs["args"][0]): row for row in rows}


def _unended() -> list[ExportJob]:
    return list(ExportJob.objects.filter(state__in=[ExportJob.QUEUED, ExportJob.RUNNING]))


def alive_jobs() -> list[ExportJob]:
    """The jobs that will end: their task waits in the queue, or runs on a worker that beats.

    Not the ones whose worker died (its task is queued again when the lease runs out, and then
    counts again), nor the lost ones (``lost_jobs``).
    """
    unended = _unended()  # before the tasks: a job started in between is not taken for lost
    tasks, workers = _unfinished_tasks(), live_workers()
    alive = []
    for job in unended:
        row = tasks.get(str(job.pk))
        if row is None:
            continue
        if row.status == TaskResultStatus.READY or (
                row.worker_ids and row.worker_ids[-1] in workers):
            alive.append(job)
    return alive


def lost_jobs() -> list[ExportJob]:
    """The jobs that say they run but that no task will end: their task failed (or succeeded)
    without recording their end, or is gone (pruned, or a job of the threads before issue 20).

    The jobs are read before the tasks, so that a job started in between (with its task) is not
    taken for lost; one that ends in between is, and ``do_finish_export`` then leaves it alone.
    """
    unended = _unended()
    tasks = _unfinished_tasks()
    return [job for job in unended if str(job.pk) not in tasks]


def is_lost(job: ExportJob) -> bool:
    """Whether the job says it runs but no task will end it (read only: shown as failed)."""
    return worker_jobs.is_lost(job, run_export)


def settle_lost() -> int:
    """Record every lost job failed (audited once, as any job's end); return how many."""
    lost = lost_jobs()
    for job in lost:
        log.warning("export %s lost its task: recorded failed", job.pk)
        retrying(lambda job=job: do_finish_export(job.pk, state=ExportJob.FAILED, error=LOST))
    return len(lost)


def run_here(job_id: Any, folder: Path, worker_id: str,
             on_progress: Progress | None = None) -> ExportJob | None:
    """Run the job's task in this process (the command line's, claimed by ``worker_id`` when
    the job was started); record the task's end as a worker would. Interrupted (Ctrl-C), the
    job is recorded failed, and its task too, rather than left running."""
    row = task_of(job_id)
    try:
        ended = run_job(job_id, folder, archive=False, on_progress=on_progress)
    except BaseException as error:
        retrying(lambda: do_finish_export(job_id, state=ExportJob.FAILED, error=INTERRUPTED))
        if row is not None:
            row.set_failed(error)
        raise
    if row is not None and row.worker_ids and row.worker_ids[-1] == worker_id:
        row.set_successful(None)
    return ended


def run_job(job_id: Any, folder: Path | None = None, *, archive: bool = True,
            on_progress: Progress | None = None, close: bool = False,
            raise_unmarked: bool = False) -> ExportJob | None:
    """Write the job's format into ``folder`` (default: the job's folder), then record its end.

    A failure is the job's state and error; only a job whose end cannot be recorded raises (with
    ``raise_unmarked``: its task then fails, and the job is lost, see ``settle_lost``), and a
    shutdown (a BaseException) goes through: the task is run again. A job already ended, or
    forgotten, is left alone (its task run again after its end was recorded).
    """
    close_old_connections()
    try:
        job = ExportJob.objects.filter(pk=job_id).first()
        if job is None or job.state in (ExportJob.DONE, ExportJob.FAILED):
            return None
        requested_by = job.owner.get_username() if job.owner else "cli"
        try:
            folder = folder or _fresh_folder(job_id)
            folder.mkdir(parents=True, exist_ok=True)
            _mark(job_id, state=ExportJob.RUNNING, done=0)
            context = build_context(job.allocation, requested_by)
            progress = _progress(job_id, on_progress)
            written = get_format(job.format).writer()(context, folder, progress)
            names = sorted(str(path.relative_to(folder)) for path in written)
            digest = _archive(folder, names, archive_path(job_id)) if archive else _digest(
                folder, names)
            return retrying(lambda: do_finish_export(job_id, state=ExportJob.DONE, files=names,
                                                     sha256=digest))
        except Exception as error:  # the job row reports whatever went wrong
            log.exception("export %s failed", job_id)
            failure = str(error)[:2000]
            return retrying(lambda: do_finish_export(job_id, state=ExportJob.FAILED,
                                                     error=failure))
    except Exception:
        log.exception("export %s ended and could not be marked", job_id)
        if raise_unmarked:
            raise
        return None
    finally:
        if close:
            connection.close()


def _fresh_folder(job_id: Any) -> Path:
    """The job's folder, emptied of what a run killed before it wrote (a run again starts over)."""
    folder = job_folder(job_id)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _progress(job_id: Any, also: Progress | None) -> Progress:
    last = {"percent": -1}

    def report(done: int, total: int) -> None:
        if also is not None:
            also(done, total)
        percent = 100 * done // max(total, 1)
        if percent != last["percent"] or done == total:  # at most ~100 updates a job
            last["percent"] = percent
            _mark(job_id, done=done, total=total)

    return report


def _archive(folder: Path, names: list[str], target: Path) -> str:
    """Put the files into one ZIP (deflated, in name order); return its SHA-256. Written beside
    and then renamed, so that a run killed midway leaves no half ZIP under the job's name."""
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name in names:
            bundle.write(folder / name, arcname=name)
    os.replace(partial, target)
    return _sha256(target)


def _digest(folder: Path, names: list[str]) -> str:
    """SHA-256 over the files in name order (name, then content), for an export without ZIP."""
    hasher = hashlib.sha256()
    for name in names:
        hasher.update(name.encode())
        hasher.update(bytes.fromhex(_sha256(folder / name)))
    return hasher.hexdigest()


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def _mark(job_id: Any, **fields: Any) -> None:
    worker_jobs.mark_progress(ExportJob, job_id, **fields)
