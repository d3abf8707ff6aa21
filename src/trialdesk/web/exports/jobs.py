"""Run an export job in a background thread (or in the command line's own thread), recording
progress on the job row, until the task queue of issue 20 takes such work.

The files go to ``<data dir>/exports/<job id>/`` and, for the download, into one ZIP beside it;
the job's end records their names and the ZIP's SHA-256 (audited, ``actions.do_finish_export``).
Progress ticks are one UPDATE of the job's row and not audited (as the design simulations').
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from trialdesk.web.datadir import data_dir
from trialdesk.web.exports.actions import do_finish_export
from trialdesk.web.exports.context import build_context
from trialdesk.web.exports.formats import Progress, get_format
from trialdesk.web.exports.models import ExportJob

_RETRIES, _RETRY_SECONDS = 100, 0.05
log = logging.getLogger(__name__)


def job_folder(job_id: Any) -> Path:
    return data_dir() / "exports" / str(job_id)


def archive_path(job_id: Any) -> Path:
    return data_dir() / "exports" / f"{job_id}.zip"


def start(job: ExportJob) -> threading.Thread:
    """Run the job in a daemon thread; return the thread."""
    thread = threading.Thread(target=run_job, args=(job.pk,), daemon=True,
                              name=f"export-{job.pk}")
    thread.start()
    return thread


def start_after_commit(job: ExportJob) -> None:
    """Start the job's thread once the request's transaction commits (at once outside one):
    the thread must read a committed row."""
    transaction.on_commit(lambda: start(job))


def run_job(job_id: Any, folder: Path | None = None, *, archive: bool = True,
            on_progress: Progress | None = None, close: bool = True) -> ExportJob | None:
    """Write the job's format into ``folder`` (default: the job's folder), then record its end;
    never raises (a failure is the job's state and error)."""
    close_old_connections()
    try:
        job = ExportJob.objects.get(pk=job_id)
        requested_by = job.owner.get_username() if job.owner else "cli"
        folder = folder or job_folder(job_id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _mark(job_id, state=ExportJob.RUNNING)
            context = build_context(job.allocation, requested_by)
            progress = _progress(job_id, on_progress)
            written = get_format(job.format).writer()(context, folder, progress)
            names = sorted(str(path.relative_to(folder)) for path in written)
            digest = _archive(folder, names, archive_path(job_id)) if archive else _digest(
                folder, names)
            return _retrying(do_finish_export, job_id, state=ExportJob.DONE, files=names,
                             sha256=digest)
        except Exception as error:  # the job row reports whatever went wrong
            log.exception("export %s failed", job_id)
            return _retrying(do_finish_export, job_id, state=ExportJob.FAILED,
                             error=str(error)[:2000])
    except Exception:
        log.exception("export %s ended and could not be marked", job_id)
        return None
    finally:
        if close:
            connection.close()


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
    """Put the files into one ZIP (deflated, in name order); return its SHA-256."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name in names:
            bundle.write(folder / name, arcname=name)
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


def _retrying(write: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``write(*args, **kwargs)``, again while SQLite answers that the database is locked."""
    for attempt in range(_RETRIES):
        try:
            return write(*args, **kwargs)
        except OperationalError:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(_RETRY_SECONDS)
    return None


def _mark(job_id: Any, **fields: Any) -> None:
    """Move the job's progress: one UPDATE of this row (not audited: bookkeeping of a job whose
    start and end are)."""
    _retrying(lambda: ExportJob.objects.filter(pk=job_id).update(
        updated_at=timezone.now(), **fields))
