"""An analysis report's generation, queued from /reports/ and run by a background task.

The row keeps what the task made for the reader who asked (the page's part and the standalone
file, in the reader's language, with arms or coded groups as their role gets them), so that
the page and the download show it without computing it again. It is read only by the person
who asked, acting as the same role (``views._own``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class AnalysisReportJob(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="analysis_report_jobs")
    # the role the report is computed for (a person with several roles sees it only as this one)
    membership = models.ForeignKey("core.Membership", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8)
    state = models.CharField(max_length=10, default=QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # a code of ``jobs.REASONS`` (never an exception's text)
    error = models.CharField(max_length=40, blank=True)
    shows_arms = models.BooleanField(default=False)
    html = models.TextField(blank=True)  # the page's part (reports/_report.html)
    standalone = models.TextField(blank=True)  # the download (reports/standalone.html)
    generated_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"analysis report job {self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
