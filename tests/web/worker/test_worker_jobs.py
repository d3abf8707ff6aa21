"""The bookkeeping every background job shares (``worker.jobs``), on an export job's row: its
progress moved by one UPDATE, lost once no run of its task waits or runs, shown as the pages
and the API show it, and whether a worker beats (issue 20)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from trialdesk.web.exports.jobs import run_export
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.worker import jobs
from trialdesk.web.worker.models import WorkerBeat
from trialdesk.web.worker.runner import lease_seconds


def _job(**fields) -> ExportJob:
    return ExportJob.objects.create(format="adam", allocation="coded", **fields)


def test_progress_is_one_update_of_the_row_and_its_heartbeat(db):
    job, other = _job(), _job()
    before = ExportJob.objects.get(pk=job.pk).updated_at
    jobs.mark_progress(ExportJob, job.pk, state=ExportJob.RUNNING, done=2, total=5)
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.percent) == (ExportJob.RUNNING, 2, 5, 40)
    assert job.updated_at >= before
    other.refresh_from_db()
    assert (other.state, other.done) == (ExportJob.QUEUED, 0)  # this row only


def test_a_job_is_lost_once_no_run_of_its_task_waits_or_runs(db):
    job = _job()
    assert jobs.is_lost(job, run_export)  # no task at all (pruned, or never enqueued)
    row = run_export.enqueue(str(job.pk)).db_result
    assert not jobs.is_lost(job, run_export)  # waiting
    row.claim("w1")
    assert not jobs.is_lost(job, run_export)  # running
    row.set_failed(RuntimeError("boom"))
    assert jobs.is_lost(job, run_export)  # failed without ending the job
    job.state = ExportJob.DONE
    assert not jobs.is_lost(job, run_export)  # an ended job is never lost


def test_the_view_puts_the_apps_fields_around_the_shared_ones(db):
    job = _job(done=1, total=4)
    run_export.enqueue(str(job.pk))
    view = jobs.job_view(job, run_export, lost="gone", head={"format": "adam"},
                         tail={"extra": 1})
    assert list(view) == ["id", "format", "state", "done", "total", "percent", "created_at",
                          "extra"]
    assert (view["id"], view["state"], view["percent"]) == (str(job.pk), "queued", 25)


def test_a_lost_job_is_shown_failed_and_a_failure_without_reason_with_the_apps_word(db):
    lost = _job(state=ExportJob.RUNNING)
    view = jobs.job_view(lost, run_export, lost="gone", unknown="error")
    assert (view["state"], view["error"]) == (ExportJob.FAILED, "gone")
    failed = _job(state=ExportJob.FAILED)
    assert jobs.job_view(failed, run_export, lost="gone", unknown="error")["error"] == "error"
    failed.error = "disk full"
    assert jobs.job_view(failed, run_export, lost="gone")["error"] == "disk full"


def test_a_worker_is_alive_while_it_beats_within_its_lease(db):
    assert not jobs.worker_alive() and jobs.live_workers() == set()
    now = timezone.now()
    lease = dt.timedelta(seconds=lease_seconds())
    for worker_id, ago in (("fresh", dt.timedelta(0)), ("silent", lease + lease)):
        WorkerBeat.objects.create(worker_id=worker_id, host="h", pid=1, started_at=now - ago,
                                  seen_at=now - ago)
    assert jobs.worker_alive() and jobs.live_workers() == {"fresh"}
