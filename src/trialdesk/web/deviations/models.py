"""What the deviation log stores. Only the actions in ``deviations.actions`` write these tables.

A deviation is a record of its own: site (and participant, when it concerns one), category and
severity from the protocol, what happened and when, who discovered it and how, its corrective and
preventive action (CAPA) with owner and due date, its status, and for a major one the report to
the ethics committee.

What a deviation of an allocation category may say about an arm ("the kit of the other arm was
given") is kept apart, in :class:`UnblindingNote`, which only roles that see arms read: the
deviation row, which every blinded reader of the log reads, holds no arm.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.deviations import OPEN
from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import Participant

User = settings.AUTH_USER_MODEL

TEXT_MAX = 2000
REFERENCE_MAX = 100


class Deviation(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    # empty: a site-level deviation (the pharmacy's fridge, a lapsed delegation log)
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="deviations")
    category = models.CharField(max_length=40)
    severity = models.CharField(max_length=5)
    description = models.TextField()
    occurred_on = models.DateField()
    discovered_on = models.DateField()
    discovered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    discovery_method = models.CharField(max_length=20)
    corrective_action = models.TextField(blank=True)
    preventive_action = models.TextField(blank=True)
    capa_owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    capa_due_on = models.DateField(null=True, blank=True)
    capa_completed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, default=OPEN)
    # the ethics committee report (major deviations): due date kept so lists filter on it
    ethics_due_on = models.DateField(null=True, blank=True)
    ethics_reported_on = models.DateField(null=True, blank=True)
    ethics_reference = models.CharField(max_length=REFERENCE_MAX, blank=True)
    # an unblinding note exists (its text is in UnblindingNote, for roles that see arms)
    has_unblinding_details = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        indexes = (
            models.Index(fields=["site", "status"], name="deviation_site_status"),
            models.Index(fields=["severity", "ethics_reported_on"], name="deviation_ethics"),
        )

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        """The name audit records, messages and pages use: PD-<number>."""
        return f"PD-{self.pk}"


class UnblindingNote(models.Model):
    """One version of a deviation's details that may reveal an arm; the last one is current.

    Append-only: a change adds a version. The audit record of the change names the version and a
    salted SHA-256 digest of its text (``salt`` is random and kept here, so the digest cannot be
    matched against guessed texts), so the trail, which blinded monitors read, binds the text
    without showing it. An empty text clears the details.
    """

    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="notes")
    seq = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)
    at = models.DateTimeField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (models.UniqueConstraint(fields=["deviation", "seq"],
                                               name="deviation_note_once"),)

    def __str__(self) -> str:
        return f"unblinding note {self.seq} of PD-{self.deviation_id}"
