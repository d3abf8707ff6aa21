"""What data capture stores. Only the actions in ``capture.actions`` write these tables.

Every entered form is one row of :class:`FormInstance` with its values as JSON, keyed by
participant, visit, form and sequence (repeating forms), and carrying its site so that a site's
worklist reads one index. Queries, signatures and locks keep their whole history: nothing is
deleted, a voided signature or a lifted lock gets its end time and reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import Participant

User = settings.AUTH_USER_MODEL

DRAFT = "draft"
COMPLETE = "complete"


class FormInstance(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="form_instances")
    # A copy of participant.site: the worklist and the completeness report filter on it alone.
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    visit = models.CharField(max_length=40)
    form = models.CharField(max_length=40)
    seq = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, default=DRAFT)
    values = models.JSONField(default=dict)
    # code (field or check) -> the values it was confirmed for; a changed value needs a new one.
    confirmed = models.JSONField(default=dict)
    warnings = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    # the protocol version (amendments.ProtocolVersion.number) the form was captured under: its
    # definition is read, validated and exported with that version's (issue 17)
    protocol_version = models.PositiveIntegerField(default=1)
    signed = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["participant", "visit", "form", "seq"],
                                    name="capture_one_form_per_slot"),
        )
        indexes = (
            models.Index(fields=["site", "status"], name="capture_form_site_status"),
            models.Index(fields=["form", "visit"], name="capture_form_export"),
        )

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        """Return participant/visit/form/seq, the name audit records and messages use."""
        return f"{self.participant.code}/{self.visit}/{self.form}/{self.seq}"


class Signature(models.Model):
    form_instance = models.ForeignKey(FormInstance, on_delete=models.PROTECT,
                                      related_name="signatures")
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    meaning = models.TextField()
    language = models.CharField(max_length=8)
    form_version = models.PositiveIntegerField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"signature of {self.form_instance_id} by {self.signed_by_id}"


class Query(models.Model):
    OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
    AUTO, MANUAL = "auto", "manual"

    form_instance = models.ForeignKey(FormInstance, on_delete=models.PROTECT,
                                      related_name="queries")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=200)
    rule = models.CharField(max_length=80)
    kind = models.CharField(max_length=8)
    status = models.CharField(max_length=10, default=OPEN)
    text = models.TextField()
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        indexes = (
            models.Index(fields=["site", "status"], name="capture_query_site_status"),
            models.Index(fields=["participant", "status"], name="capture_query_participant"),
        )

    def __str__(self) -> str:
        return f"query {self.pk} on {self.field}"


class QueryMessage(models.Model):
    """One step of a query's thread: raised, answered, closed, reopened."""

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=12)
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.action} on query {self.query_id}"


class Lock(models.Model):
    FORM, PARTICIPANT, DATABASE = "form", "participant", "database"

    scope = models.CharField(max_length=12)
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    form_instance = models.ForeignKey(FormInstance, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="locks")
    locked_at = models.DateTimeField()
    locked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    unlock_reason = models.TextField(blank=True)
    # what the lock checklist found outstanding when it was applied (counts and items): empty
    # lists for a clean lock, the overridden items for a lock the PI confirmed
    checklist = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = (models.Index(fields=["scope", "unlocked_at"], name="capture_lock_active"),)

    def __str__(self) -> str:
        return f"{self.scope} lock {self.pk}"


class LockOverride(models.Model):
    """A lock despite outstanding checklist items: requested by the data manager, confirmed (or
    declined) by the principal investigator, each with their own password; the checklist as each
    saw it is kept, and the lock it produced."""

    PENDING, APPLIED, DECLINED, WITHDRAWN = "pending", "applied", "declined", "withdrawn"

    scope = models.CharField(max_length=12)
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    form_instance = models.ForeignKey(FormInstance, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=12, default=PENDING)
    requested_checklist = models.JSONField(default=dict)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    confirmed_checklist = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decision_note = models.TextField(blank=True)
    lock = models.OneToOneField(Lock, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="override")

    class Meta:
        indexes = (models.Index(fields=["status"], name="capture_override_status"),)

    def __str__(self) -> str:
        return f"{self.scope} lock override {self.pk}"


class VisitNotDone(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    visit = models.CharField(max_length=40)
    reason = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (models.UniqueConstraint(fields=["participant", "visit"],
                                               name="capture_visit_not_done_once"),)

    def __str__(self) -> str:
        return f"{self.participant_id} {self.visit} not done"


class Discontinuation(models.Model):
    """The participant died or withdrew: no visit after ``date`` is expected."""

    DIED, WITHDREW = "died", "withdrew"

    participant = models.OneToOneField(Participant, on_delete=models.PROTECT,
                                       related_name="discontinuation")
    kind = models.CharField(max_length=12)
    date = models.DateField()
    reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.participant_id} {self.kind} on {self.date}"
