"""A schedule the server's operator sets, and each of its runs, claimed once per due time."""

from __future__ import annotations

from django.db import models

from trialdesk.web.core.models import Membership


class Schedule(models.Model):
    """Work queued every ``every_seconds`` from ``next_due`` on by whichever worker polls first.

    ``settings`` of a backup: ``out_dir``, ``keep`` and ``key_file`` or ``passphrase_file``, as
    paths: the key never enters the database it protects (the backup holds the database). Of a
    data cut: ``formats``; the cut is exported as ``membership``'s role would export it.
    """

    BACKUP, DATA_CUT = "backup", "data_cut"
    KINDS = (BACKUP, DATA_CUT)

    kind = models.CharField(max_length=10)
    every_seconds = models.PositiveIntegerField()
    next_due = models.DateTimeField(db_index=True)
    active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="schedules")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} every {self.every_seconds} s"


class ScheduledRun(models.Model):
    """One due time of a schedule; the unique (schedule, due time) row is the claim."""

    QUEUED, RUNNING, RETRYING, DONE, FAILED = "queued", "running", "retrying", "done", "failed"
    ENDED = (DONE, FAILED)

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, default=QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("schedule", "due_at"),
                                               name="schedules_run_once"),)
        ordering = ("-due_at", "-pk")

    def __str__(self) -> str:
        return f"{self.schedule.kind} due {self.due_at.isoformat()} ({self.state})"
