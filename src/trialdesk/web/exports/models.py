"""An export job: one format, run by a background thread into a folder of the data directory.

The row is in the database so that any server worker answers the progress poll and serves the
download; the files themselves are in ``<data dir>/exports/<job id>/``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ExportJob(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE,
                              related_name="export_jobs")
    format = models.CharField(max_length=40)
    allocation = models.CharField(max_length=8)
    state = models.CharField(max_length=10, default=QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    files = models.JSONField(default=list)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # a scheduled data cut's cut-off: its due time (None: started by a person or the CLI)
    data_cutoff = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.format} ({self.state})"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
