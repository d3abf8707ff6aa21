"""The heartbeat's recovery: a running task whose worker stopped beating is queued again; one
whose worker beats is left alone; one lost ``MAX_CLAIMS`` times is failed; a checkpointed step is
computed once (issue 20)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from trialdesk.web.design.jobs import run_simulation
from trialdesk.web.worker import runner
from trialdesk.web.worker.models import TaskStep, WorkerBeat
from trialdesk.web.worker.steps import done_steps, forget, step

LEASE = dt.timedelta(seconds=60)


def _running(worker_ids: list[str]) -> DBTaskResult:
    row = run_simulation.enqueue("job").db_result
    row.status, row.started_at, row.worker_ids = "RUNNING", timezone.now(), worker_ids
    row.save()
    return row


def _beat(worker_id: str, ago: dt.timedelta) -> None:
    now = timezone.now()
    WorkerBeat.objects.create(worker_id=worker_id, host="h", pid=1, started_at=now - ago,
                              seen_at=now - ago)


def test_the_task_of_a_silent_worker_is_queued_again_and_a_beating_ones_is_not(db):
    _beat("alive", dt.timedelta(seconds=5))
    _beat("dead", LEASE + dt.timedelta(seconds=1))
    alive, dead, vanished = _running(["alive"]), _running(["dead"]), _running(["gone"])
    assert sorted(runner.recover_lost(LEASE)) == sorted([str(dead.id), str(vanished.id)])
    statuses = dict(DBTaskResult.objects.values_list("id", "status"))
    assert (statuses[alive.id], statuses[dead.id], statuses[vanished.id]) == (
        "RUNNING", "READY", "READY")
    assert DBTaskResult.objects.get(pk=dead.id).worker_ids == ["dead"]  # the history stays
    assert runner.recover_lost(LEASE) == []  # nothing more to do


def test_a_task_that_lost_its_worker_too_often_is_failed(db):
    row = _running([f"w{n}" for n in range(runner.MAX_CLAIMS)])
    assert runner.recover_lost(LEASE) == []
    row.refresh_from_db()
    assert row.status == "FAILED" and row.exception_class_path.endswith("LostWorkerError")
    assert "died 5 times" in row.traceback


def test_beats_of_workers_long_gone_are_forgotten(db):
    _beat("old", 10 * LEASE + dt.timedelta(seconds=1))
    _beat("recent", LEASE + dt.timedelta(seconds=1))
    runner.recover_lost(LEASE)
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["recent"]


def test_a_step_is_computed_once_then_read_back(db):
    calls = []

    def compute():
        calls.append(1)
        return 2.5

    def run():
        return step("k", 0, compute, dump=lambda v: {"v": v}, load=lambda d: d["v"])

    assert (run(), run(), len(calls)) == (2.5, 2.5, 1)
    assert done_steps("k") == {0: {"v": 2.5}}
    forget("k")
    assert not TaskStep.objects.exists()


def _finished(status: str, days_ago: float) -> DBTaskResult:
    row = run_simulation.enqueue("job").db_result
    row.status, row.finished_at = status, timezone.now() - dt.timedelta(days=days_ago)
    row.save()
    return row


def test_finished_task_rows_older_than_the_kept_days_are_pruned(db, settings):
    settings.TRIALDESK_TASK_KEEP_DAYS = 14
    old_ok, old_failed = _finished("SUCCESSFUL", 15), _finished("FAILED", 15)
    recent, waiting = _finished("SUCCESSFUL", 13), run_simulation.enqueue("job").db_result
    stuck = _running(["gone"])  # running for ever is the recovery's, never the pruning's
    DBTaskResult.objects.filter(pk=stuck.pk).update(enqueued_at=timezone.now() - 30 * LEASE)
    assert runner.prune_finished() == 2
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {
        recent.id, waiting.id, stuck.id}
    assert not DBTaskResult.objects.filter(pk__in=[old_ok.pk, old_failed.pk]).exists()


def test_a_worker_prunes_at_its_start_then_at_most_once_an_hour(db):
    worker = runner.TrialWorker(queue_names=["*"], interval=0, batch=True,
                                backend_name="default", startup_delay=False, max_tasks=None,
                                worker_id="w", excluded_queue_names=[], beat=True)
    _finished("SUCCESSFUL", 30)
    worker._recover()  # what it does at its start and at every beat
    assert not DBTaskResult.objects.exists()
    _finished("SUCCESSFUL", 30)
    worker._recover()  # the next beat, within the hour
    assert DBTaskResult.objects.count() == 1
    worker._pruned_at -= runner.PRUNE_EVERY
    worker._recover()
    assert not DBTaskResult.objects.exists()
