"""The task of one scheduled backup run: the existing backup, the newest N kept, retried.

The file is named by the run's due time (``trialdesk-YYYYMMDDTHHMMSSZ.tdbackup``, UTC), so a
run done again (its worker was killed) writes the same name; the file gets that name only once
whole (``write_backup``), so one found under it is kept, and whatever else the killed run left
is deleted and the backup written again.
A failure is logged, recorded on the run (audited, as the system) and the task queued again
after a pause that doubles each time, as the e-mail outbox does; after ``MAX_ATTEMPTS`` the run
is given up and stays on the schedules page.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from trialdesk.backup import retention
from trialdesk.backup.crypto import KeySource, read_key_file, read_passphrase_file
from trialdesk.backup.operations import make_backup
from trialdesk.web.core.actions import action
from trialdesk.web.core.audit import append_audit
from trialdesk.web.datadir import data_dir
from trialdesk.web.schedules.models import ScheduledRun
from trialdesk.web.worker.steps import retrying

log = logging.getLogger("trialdesk.schedules")
MAX_ATTEMPTS = 6
DEFAULT_FIRST_RETRY_SECONDS = 300.0
LAST_RETRY = dt.timedelta(hours=2)


def retry_delay(attempts: int) -> dt.timedelta:
    """The pause after ``attempts`` failed attempts: the first one's
    (``TRIALDESK_SCHEDULE_FIRST_RETRY_SECONDS``, 300 s), doubling, at most two hours."""
    first = float(getattr(settings, "TRIALDESK_SCHEDULE_FIRST_RETRY_SECONDS",
                          DEFAULT_FIRST_RETRY_SECONDS))
    return min(dt.timedelta(seconds=first * 2 ** max(attempts - 1, 0)), LAST_RETRY)


def backup_key(options: dict[str, Any]) -> KeySource:
    """The key of a backup schedule, read from its file at each run (never stored)."""
    if options.get("key_file"):
        return read_key_file(Path(options["key_file"]))
    return read_passphrase_file(Path(options["passphrase_file"]))


def write_backup(run: ScheduledRun) -> dict[str, Any]:
    """Write the run's backup (unless a whole one is there already), then prune; return what
    was written and deleted.

    It is made in a hidden folder of the run's own (``.run-<id>``), where ``make_backup`` also
    stages its plaintext copy of the database, and moved out once whole: a run killed midway
    leaves only that folder, which the run done again deletes first (no other process writes
    there), so neither a half-written file nor a plaintext copy outlives it.
    """
    options = run.schedule.settings
    folder = Path(options["out_dir"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    out = folder / retention.scheduled_name(run.due_at)
    work = folder / f".run-{run.pk}"
    try:
        if not out.exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(mode=0o700)
            make_backup(work / out.name, backup_key(options), data_dir(),
                        os.environ.get("DATABASE_URL"))
            os.replace(work / out.name, out)
    finally:  # a failed attempt leaves nothing either (it is retried from scratch)
        shutil.rmtree(work, ignore_errors=True)
    deleted = retention.prune(folder, int(options["keep"]))
    return {"file": out.name, "out_dir": str(folder), "deleted": [path.name for path in deleted]}


@task()
def run_scheduled_backup(run_id: int) -> str:
    """Take one scheduled run's backup and record how it went; return the run's state. A run
    already ended (its task run again after the record) is left alone."""
    run = ScheduledRun.objects.select_related("schedule").filter(pk=run_id).first()
    if run is None or run.state in ScheduledRun.ENDED:
        return run.state if run else "forgotten"
    retrying(lambda: ScheduledRun.objects.filter(pk=run_id).update(
        state=ScheduledRun.RUNNING, started_at=timezone.now()))
    try:
        result, error = write_backup(run), ""
    except Exception as failure:  # any failure (a full disk, a key file gone): retried
        result, error = {}, f"{type(failure).__name__}: {failure}"[:2000]
    return retrying(lambda: do_record_backup_run(run_id=run_id, result=result,
                                                  error=error)).state


@action(None)
def do_record_backup_run(*, run_id: int, result: dict[str, Any], error: str) -> ScheduledRun:
    """Record one attempt of a backup run (``error`` empty: done), as the system; a failure
    before ``MAX_ATTEMPTS`` queues the run's task again after ``retry_delay``."""
    run = ScheduledRun.objects.select_for_update().get(pk=run_id)
    if run.state in ScheduledRun.ENDED:
        return run  # another run of its task recorded it meanwhile
    old = {"state": run.state, "attempts": run.attempts}
    now = timezone.now()
    run.attempts += 1
    if not error:
        run.state, run.result, run.finished_at, run.next_attempt_at = (
            ScheduledRun.DONE, result, now, None)
        log.info("scheduled backup %s written: %s", run.pk, result.get("file"))
    else:
        run.last_error = error
        if run.attempts >= MAX_ATTEMPTS:
            run.state, run.finished_at, run.next_attempt_at = ScheduledRun.FAILED, now, None
            log.error("scheduled backup %s given up after %d attempts: %s", run.pk,
                      run.attempts, error)
        else:
            run.state = ScheduledRun.RETRYING
            run.next_attempt_at = now + retry_delay(run.attempts)
            run_scheduled_backup.using(run_after=run.next_attempt_at).enqueue(run.pk)
            log.warning("scheduled backup %s: attempt %d of %d failed, next at %s: %s", run.pk,
                        run.attempts, MAX_ATTEMPTS, run.next_attempt_at.isoformat(), error)
    run.save()
    changes: dict[str, dict[str, Any]] = {
        "state": {"old": old["state"], "new": run.state},
        "attempts": {"old": old["attempts"], "new": run.attempts}}
    if error:
        changes["error"] = {"old": None, "new": error[:500]}
    else:
        changes["file"] = {"old": None, "new": result.get("file")}
        changes["deleted"] = {"old": None, "new": result.get("deleted", [])}
    append_audit(actor="system", action=f"scheduled_backup_{run.state}", model="scheduled_run",
                 object_id=str(run.pk), changes=changes)
    return run
