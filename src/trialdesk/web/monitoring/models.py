"""What monitoring stores. Only the actions in ``monitoring.actions`` write these tables.

- :class:`MonitoringVisit`: a monitor's visit of a site (on site or remote), planned then done or
  cancelled, with its summary; :class:`Finding`: what the visit found; :class:`ActionItem`: what
  must be done about it, by whom and by when.
- :class:`Verification`: one monitor's verification of one field of one record (a form entry, a
  consent, a safety-database event) at a visit: verified, or needs correction with a comment.
  Rows are never changed: the last one of a field is its verification, and it holds only while
  the field's value still has the SHA-256 kept here (``trialdesk.monitoring.verification``).

Nothing here holds an arm, a kit or a lot: every blinded role that reads monitoring reads these.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import Participant

User = settings.AUTH_USER_MODEL

TEXT_MAX = 4000


class MonitoringVisit(models.Model):
    ON_SITE, REMOTE = "on_site", "remote"
    KINDS = ((ON_SITE, "On site"), (REMOTE, "Remote"))
    PLANNED, DONE, CANCELLED = "planned", "done", "cancelled"
    STATUSES = ((PLANNED, "Planned"), (DONE, "Done"), (CANCELLED, "Cancelled"))

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=KINDS)
    status = models.CharField(max_length=12, choices=STATUSES, default=PLANNED)
    planned_date = models.DateField()
    done_date = models.DateField(null=True, blank=True)
    monitor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        indexes = (models.Index(fields=["site", "planned_date"], name="monitoring_visit_site"),)

    def __str__(self) -> str:
        return f"monitoring visit {self.pk} of {self.site_id}"


class Finding(models.Model):
    CATEGORIES = ("consent", "eligibility", "source_documents", "safety_reporting",
                  "investigational_product", "data_quality", "facilities", "other")
    SEVERITIES = ("minor", "major", "critical")

    visit = models.ForeignKey(MonitoringVisit, on_delete=models.PROTECT, related_name="findings")
    category = models.CharField(max_length=30)
    severity = models.CharField(max_length=10)
    text = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"finding {self.pk} of visit {self.visit_id}"


class ActionItem(models.Model):
    OPEN, DONE = "open", "done"
    STATUSES = ((OPEN, "Open"), (DONE, "Done"))

    visit = models.ForeignKey(MonitoringVisit, on_delete=models.PROTECT,
                              related_name="action_items")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="action_items")
    text = models.TextField()
    # the person responsible, as the follow-up letter names them (not necessarily a user)
    owner = models.CharField(max_length=150)
    due_date = models.DateField()
    status = models.CharField(max_length=8, choices=STATUSES, default=OPEN)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    def __str__(self) -> str:
        return f"action item {self.pk} of visit {self.visit_id}"


class Verification(models.Model):
    VERIFIED, NEEDS_CORRECTION = "verified", "needs_correction"

    # the record's identity (trialdesk.monitoring.sdv_plan.Item.key) and kind
    item = models.CharField(max_length=120)
    source = models.CharField(max_length=16)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    # a copy of participant.site: a site's progress reads one index
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=60)
    status = models.CharField(max_length=20)
    comment = models.TextField(blank=True)
    value_hash = models.CharField(max_length=64)
    visit = models.ForeignKey(MonitoringVisit, on_delete=models.PROTECT,
                              related_name="verifications")
    verified_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()

    class Meta:
        indexes = (
            models.Index(fields=["item", "field"], name="monitoring_verif_item"),
            models.Index(fields=["participant"], name="monitoring_verif_participant"),
        )

    def __str__(self) -> str:
        return f"verification of {self.item} {self.field}"
