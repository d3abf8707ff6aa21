"""A simulation job: a statistician's own computation, run in chunks by a background thread.

The row lives in the database (not in the process) so that any server worker can answer the
progress poll; it holds a design SPEC and its results, never trial data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class SimulationJob(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="simulation_jobs")
    name = models.CharField(max_length=200)
    spec_toml = models.TextField()
    sims = models.PositiveIntegerField()
    seed = models.BigIntegerField(null=True)
    chunk = models.PositiveIntegerField()
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField()
    state = models.CharField(max_length=10, default=QUEUED)
    result = models.JSONField(null=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    @property
    def percent(self) -> int:
        return round(100 * self.chunks_done / self.chunks_total) if self.chunks_total else 0
