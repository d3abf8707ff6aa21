"""The worker's bookkeeping: who is alive (heartbeats) and which task steps are done.

The task rows themselves are django-tasks-db's (``DBTaskResult``); these two tables add what it
lacks: a task claimed by a worker that then died (SIGKILL, a machine lost) stays "running" there
for ever, so each worker beats here, and a task whose worker stopped beating is put back in the
queue (``runner.recover_lost``). A step of a task that is run again is then not redone: its
value is kept here (``steps.step``).
"""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """One running worker process, on any machine sharing the database."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class TaskStep(models.Model):
    """The value of one finished step of a task (``key``: the task's own name for its work)."""

    key = models.CharField(max_length=200)
    index = models.PositiveIntegerField()
    value = models.JSONField()
    worker_id = models.CharField(max_length=64, blank=True)
    done_at = models.DateTimeField()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("key", "index"),
                                               name="worker_step_once"),)

    def __str__(self) -> str:
        return f"{self.key} step {self.index}"
