"""What safety stores. Only the actions in ``safety.actions`` write these tables.

An adverse event is a record of its own (not only an entry of the protocol's adverse-event log
form): its verbatim term and optional coded term, dates, CTCAE grade, seriousness criteria,
relatedness, expectedness, action taken, outcome, when the investigator and the sponsor learnt of
it, and the reports it has had. Each follow-up report is a row of its own; each alert is a row per
recipient with its delivery attempts, so an alert that could not be sent is never lost.

Nothing here holds an arm, a kit or a lot: every blinded role reads these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.safety import rules
from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import Participant

User = settings.AUTH_USER_MODEL

TERM_MAX = 200
TEXT_MAX = 2000
OPEN, RESOLVED = "open", "resolved"


class AdverseEvent(models.Model):
    REPORTED, INFUSION = "report", "infusion"

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="adverse_events")
    # a copy of participant.site: site lists read one index
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    term = models.CharField(max_length=TERM_MAX)
    # the coded term (MedDRA): empty until coded
    llt_code = models.CharField(max_length=12, blank=True)
    llt_name = models.CharField(max_length=TERM_MAX, blank=True)
    pt_code = models.CharField(max_length=12, blank=True)
    pt_name = models.CharField(max_length=TERM_MAX, blank=True)
    soc_code = models.CharField(max_length=12, blank=True)
    soc_name = models.CharField(max_length=TERM_MAX, blank=True)
    coded_at = models.DateTimeField(null=True, blank=True)
    coded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    onset_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField()  # CTCAE v5, 1-5
    death = models.BooleanField(default=False)
    life_threatening = models.BooleanField(default=False)
    hospitalization = models.BooleanField(default=False)
    disability = models.BooleanField(default=False)
    congenital_anomaly = models.BooleanField(default=False)
    important_medical_event = models.BooleanField(default=False)
    relatedness = models.CharField(max_length=12)
    expectedness = models.CharField(max_length=12, default="unknown")
    action_taken = models.CharField(max_length=24, default="unknown")
    outcome = models.CharField(max_length=24, default="unknown")
    investigator_aware_at = models.DateTimeField()
    # day 0 of the SUSAR clocks: the day the sponsor first had the minimum information
    sponsor_aware_date = models.DateField(null=True, blank=True)
    # when the case reached the sponsor as serious (its recording alerts the sponsor)
    reported_to_sponsor_at = models.DateTimeField(null=True, blank=True)
    death_reported_at = models.DateTimeField(null=True, blank=True)
    susar_reported_at = models.DateTimeField(null=True, blank=True)
    susar_follow_up_reported_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, default=OPEN)
    source = models.CharField(max_length=10, default=REPORTED)
    # the form entry it came from (participant/visit/form/seq), for an infusion reaction
    source_form = models.CharField(max_length=120, blank=True)
    # the alert reasons already sent (an update that adds one alerts again)
    alerted = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = (
            models.Index(fields=["site", "status"], name="safety_ae_site_status"),
            models.Index(fields=["llt_code"], name="safety_ae_coded"),
        )

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        """The name audit records, messages and pages use: AE-<number>."""
        return f"AE-{self.pk}"

    @property
    def criteria(self) -> frozenset[str]:
        return frozenset(name for name in rules.SERIOUSNESS_CRITERIA if getattr(self, name))

    @property
    def coded(self) -> bool:
        return bool(self.llt_code)

    def facts(self) -> rules.EventFacts:
        """What the safety rules need of this event."""
        return rules.EventFacts(
            grade=self.grade, criteria=self.criteria, relatedness=self.relatedness,
            expectedness=self.expectedness, outcome=self.outcome,
            resolved=self.status == RESOLVED,
            reported_to_sponsor=self.reported_to_sponsor_at is not None,
            death_reported=self.death_reported_at is not None,
            susar_reported=self.susar_reported_at is not None,
        )


class AdverseEventFollowUp(models.Model):
    """One follow-up report of an event: what changed, the outcome then, resolved or not."""

    FOLLOW_UP, DEATH_REPORT, SUSAR_REPORT, SUSAR_FOLLOW_UP = (
        "follow_up", "death_report", "susar_report", "susar_follow_up")
    KINDS = (FOLLOW_UP, DEATH_REPORT, SUSAR_REPORT, SUSAR_FOLLOW_UP)

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="follow_ups")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, default=FOLLOW_UP)
    text = models.TextField()
    outcome = models.CharField(max_length=24)
    resolved = models.BooleanField(default=False)
    end_date = models.DateField(null=True, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (models.UniqueConstraint(fields=["event", "seq"],
                                               name="safety_follow_up_once"),)

    def __str__(self) -> str:
        return f"follow-up {self.seq} of AE-{self.event_id}"


class SafetyAlert(models.Model):
    """One alert to one recipient, with its delivery attempts: sent, or failed and retried.

    The subject and body are fixed when the alert is made (what the recipient is told), and carry
    no arm, no kit and no lot.
    """

    PENDING, SENT, FAILED = "pending", "sent", "failed"

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="alerts")
    reasons = models.JSONField(default=list)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=["status", "next_attempt_at"],
                                name="safety_alert_due"),)

    def __str__(self) -> str:
        return f"alert {self.pk} of AE-{self.event_id} to {self.recipient}"
