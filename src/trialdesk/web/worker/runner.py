"""The worker: django-tasks-db's database worker, plus a heartbeat and the recovery of lost tasks.

django-tasks-db claims a task by marking its row "running" with the worker's id; a worker killed
meanwhile (SIGKILL, out of memory, a machine lost) leaves that row running for ever. So each
worker here keeps a :class:`WorkerBeat` row fresh from a thread of its own, and that thread also
puts back in the queue every running task whose worker has not beaten for ``lease`` seconds
(``recover_lost``): another worker, on this machine or one sharing the PostgreSQL database, runs
it again. Tasks are written so that running one again is harmless (their steps are checkpointed:
``steps.step``, and their ends recorded once). A task lost ``MAX_CLAIMS`` times is marked failed
rather than killing workers for ever. The same thread prunes the rows of tasks finished more than
``TRIALDESK_TASK_KEEP_DAYS`` days ago (``prune_finished``, at most once an hour), so the table
does not grow for ever, and calls the ``BEAT_HOOKS`` apps register (the schedules queue their
due runs there).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from trialdesk.web.worker.models import WorkerBeat

log = logging.getLogger("trialdesk.worker")

DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_KEEP_DAYS = 14  # django-tasks-db's own prune command's default
PRUNE_EVERY = dt.timedelta(hours=1)
MAX_CLAIMS = 5
# called by every worker's heartbeat after the recovery (apps register them in their ready(); the
# worker imports no app): the schedules' poll for due runs
BEAT_HOOKS: list[Callable[[], object]] = []
# the id of the worker running in this process (tasks record it with their steps)
current_worker_id = ""


class LostWorkerError(RuntimeError):
    """A task whose worker died too many times in a row (recorded as the task's error)."""


def lease_seconds() -> float:
    """How long a worker may go without a heartbeat before its task is run again."""
    return float(getattr(settings, "TRIALDESK_WORKER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def keep_finished() -> dt.timedelta:
    """How long the row of a finished task is kept (its result and error stay readable)."""
    return dt.timedelta(days=float(getattr(settings, "TRIALDESK_TASK_KEEP_DAYS",
                                           DEFAULT_KEEP_DAYS)))


def prune_finished(keep: dt.timedelta | None = None) -> int:
    """Delete the rows of tasks that finished (successful or failed) more than ``keep`` ago (by
    default ``keep_finished()``); return how many. Ready and running tasks are never touched."""
    cutoff = timezone.now() - (keep if keep is not None else keep_finished())
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    if deleted:
        log.info("pruned %d task rows finished before %s", deleted, cutoff.isoformat())
    return deleted


def new_worker_id() -> str:
    """A worker id unique across machines: host, process and a random part (<= 64 characters)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


def recover_lost(lease: dt.timedelta | None = None) -> list[str]:
    """Put back in the queue the running tasks whose worker stopped beating; return their ids.

    A task claimed ``MAX_CLAIMS`` times is marked failed instead (``LostWorkerError``).
    """
    lease = lease if lease is not None else dt.timedelta(seconds=lease_seconds())
    now = timezone.now()
    alive = set(WorkerBeat.objects.filter(seen_at__gte=now - lease)
                .values_list("worker_id", flat=True))
    recovered = []
    with exclusive_transaction(DBTaskResult.objects.db):
        for task in DBTaskResult.objects.running().select_for_update():
            worker = task.worker_ids[-1] if task.worker_ids else None
            if worker in alive:
                continue
            if len(task.worker_ids) >= MAX_CLAIMS:
                log.error("task %s (%s) lost its worker %d times: marked failed", task.id,
                          task.task_path, len(task.worker_ids))
                task.set_failed(LostWorkerError(
                    f"its worker died {len(task.worker_ids)} times while running it"))
                continue
            log.warning("task %s (%s) lost its worker %s: queued again", task.id,
                        task.task_path, worker)
            task.status, task.started_at = TaskResultStatus.READY, None
            task.save(update_fields=["status", "started_at"])
            recovered.append(str(task.id))
    # beats of workers long gone (their tasks are recovered above) are forgotten
    WorkerBeat.objects.filter(seen_at__lt=now - 10 * lease).delete()
    return recovered


class TrialWorker(Worker):
    """django-tasks-db's worker with a heartbeat thread that also recovers lost tasks."""

    def __init__(self, *, beat: bool = True, **options: Any) -> None:
        super().__init__(**options)
        self.beat = beat
        self._stop = threading.Event()
        self._pruned_at: dt.datetime | None = None

    def run(self) -> None:
        global current_worker_id
        current_worker_id = self.worker_id
        try:
            if not self.beat:
                super().run()
                return
            with self.beating(recover=True):
                super().run()
        finally:
            current_worker_id = ""

    @contextmanager
    def beating(self, *, recover: bool) -> Iterator[None]:
        """Beat while the block runs (``recover``: and recover lost tasks, prune old ones); the
        beat's row is deleted at the end, when the process says goodbye."""
        thread = threading.Thread(target=self._beat, args=(recover,), name="worker-heartbeat",
                                  daemon=True)
        try:  # from the first beat: a SIGTERM during the start still says goodbye
            self._touch()  # alive before the first claim, so its tasks are never "lost"
            if recover:
                self._recover()
            thread.start()
            yield
        finally:
            self._stop.set()
            if thread.is_alive():
                thread.join(timeout=30)
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()

    def _touch(self) -> None:
        now = timezone.now()
        _, created = WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id, defaults={"seen_at": now},
            create_defaults={"seen_at": now, "started_at": now, "pid": os.getpid(),
                             "host": socket.gethostname()[:255]})
        if created:
            log.info("worker %s started", self.worker_id)

    def _recover(self) -> None:
        recover_lost()
        now = timezone.now()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            prune_finished()
        for hook in BEAT_HOOKS:
            try:
                hook()
            except OperationalError:
                raise  # a busy database: the beat says so and tries again
            except Exception:  # a hook's bug must not stop the heartbeat (its tasks would be lost)
                log.exception("worker %s: beat hook %s failed", self.worker_id, hook)

    def _beat(self, recover: bool) -> None:
        """Every quarter lease: beat, and recover the tasks of workers that stopped beating."""
        interval = max(lease_seconds() / 4, 0.05)
        try:
            while not self._stop.wait(interval):
                try:
                    self._touch()
                    if recover:
                        self._recover()
                except OperationalError as error:  # a busy database: the next beat tries again
                    log.warning("worker %s: heartbeat failed: %s", self.worker_id, error)
        finally:
            connection.close()


@contextmanager
def heartbeat() -> Iterator[str]:
    """Beat as a worker of its own while the block runs; yield the worker id.

    For a process that runs one task itself rather than through a worker (``trialdesk export``
    runs its job in its own process, with its progress bar): should it die, its task is run
    again by a worker, as a dead worker's is. It recovers no one else's tasks.
    """
    worker = TrialWorker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                         startup_delay=False, max_tasks=None, worker_id=new_worker_id(),
                         excluded_queue_names=[], beat=True)
    with worker.beating(recover=False):
        yield worker.worker_id


def run_worker(*, interval: float = 1.0, batch: bool = False, beat: bool = True,
               queues: str = "*", max_tasks: int | None = None,
               worker_id: str | None = None) -> None:
    """Run tasks until stopped (SIGTERM/SIGINT end it after the running task); ``batch``: run
    the tasks that are ready now, then return."""
    worker = TrialWorker(
        queue_names=queues.split(","), interval=interval, batch=batch, backend_name="default",
        startup_delay=not batch, max_tasks=max_tasks, worker_id=worker_id or new_worker_id(),
        excluded_queue_names=[], beat=beat)
    if not batch:
        worker.configure_signals()
    worker.run()


def run_ready(limit: int = 1000) -> int:
    """Run the tasks that are ready now, in this thread, one after another; return how many ran.

    For tests and tools that need the queue drained where they stand: no heartbeat, no signal
    handlers, no transaction of its own around the claim (a test's transaction stays as it is).
    A task that enqueues another one ready at once (a retry without pause) is run too, up to
    ``limit`` tasks.
    """
    worker = TrialWorker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                         startup_delay=False, max_tasks=None, worker_id=new_worker_id(),
                         excluded_queue_names=[], beat=False)
    global current_worker_id
    current_worker_id = worker.worker_id
    ran = 0
    try:
        while ran < limit:
            row = DBTaskResult.objects.ready().filter(backend_name="default").first()
            if row is None:
                break
            row.claim(worker.worker_id)
            worker.run_task(row)
            ran += 1
    finally:
        current_worker_id = ""
    return ran
