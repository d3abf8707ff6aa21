"""What the DSMB part stores. Only the actions in ``dsmb.actions`` write these tables.

- :class:`Meeting`: a DSMB meeting (scheduled or ad hoc) with the data cut-off of its reports.
- :class:`Report`: one generation of a meeting's open (pooled) or closed (by arm) report: the
  HTML as generated in the trial's reference language (``language``), its SHA-256, who made it
  and when, and the cut-off. A closed report is read by the unblinded DSMB only; blinded roles
  cannot even list it. :class:`ReportDocument`: the same generation (same figures, author and
  time) rendered in each other language the server offers, with its own SHA-256, so that a
  Spanish-speaking DSMB member reads and checks a Spanish document.
- :class:`SignedRecommendation`: the e-signature of a recommendation (``trials.DsmbRecommendation``,
  reused) made at a meeting; :class:`SponsorResponse`: the sponsor's answer to it.
- :class:`SafetySignal` and :class:`SignalAlert`: the protocol's Bayesian stopping rule tripped,
  and the e-mails that told the DSMB (with their delivery attempts).
- :class:`ReportJob`: a report's generation asked for on the pages, run by a background task
  (``dsmb.jobs``) until it stores its :class:`Report`; a closed one is as hidden as its report.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from trialdesk.web.trials.models import DsmbRecommendation

User = settings.AUTH_USER_MODEL


class Meeting(models.Model):
    SCHEDULED, AD_HOC = "scheduled", "ad_hoc"
    KINDS = ((SCHEDULED, "Scheduled"), (AD_HOC, "Ad hoc"))

    date = models.DateField()
    kind = models.CharField(max_length=12, choices=KINDS)
    cutoff = models.DateField()
    attendees = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"DSMB meeting {self.pk} of {self.date}"


class Report(models.Model):
    OPEN, CLOSED = "open", "closed"
    KINDS = ((OPEN, "Open session"), (CLOSED, "Closed session"))

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=8, choices=KINDS)
    cutoff = models.DateField()
    html = models.TextField()
    sha256 = models.CharField(max_length=64)
    generated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField()
    language = models.CharField(max_length=8, default="en")  # the language of ``html``

    class Meta:
        indexes = (models.Index(fields=["kind", "meeting"], name="dsmb_report_kind"),)

    def __str__(self) -> str:
        return f"DSMB {self.kind} report {self.pk}"

    def document(self, language: str) -> tuple[str, str, str]:
        """(language, HTML, SHA-256) of this generation in ``language``; in the reference
        language when it was not made in that one (a language added after it)."""
        if language != self.language:
            found = self.documents.filter(language=language).first()
            if found is not None:
                return found.language, found.html, found.sha256
        return self.language, self.html, self.sha256

    def hashes(self) -> dict[str, str]:
        """Language -> SHA-256 of each of this generation's documents."""
        return {self.language: self.sha256,
                **dict(self.documents.order_by("language").values_list("language", "sha256"))}


class ReportDocument(models.Model):
    """One generation of a report in a language other than its reference language."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="documents")
    language = models.CharField(max_length=8)
    html = models.TextField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["report", "language"],
                                               name="dsmb_report_document_language"),)

    def __str__(self) -> str:
        return f"DSMB report {self.report_id} in {self.language}"


class SignedRecommendation(models.Model):
    """The DSMB's e-signature of one recommendation (password re-entered), at a meeting."""

    recommendation = models.OneToOneField(DsmbRecommendation, on_delete=models.PROTECT,
                                          related_name="signature")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="recommendations")
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    meaning = models.TextField()
    language = models.CharField(max_length=8, default="en")

    def __str__(self) -> str:
        return f"signature of DSMB recommendation {self.recommendation_id}"


class SponsorResponse(models.Model):
    ACCEPTED, ACCEPTED_WITH_CHANGES, NOT_ACCEPTED = (
        "accepted", "accepted_with_changes", "not_accepted")
    RESPONSES = ((ACCEPTED, "Accepted"), (ACCEPTED_WITH_CHANGES, "Accepted with changes"),
                 (NOT_ACCEPTED, "Not accepted"))

    recommendation = models.OneToOneField(DsmbRecommendation, on_delete=models.PROTECT,
                                          related_name="sponsor_response")
    response = models.CharField(max_length=24, choices=RESPONSES)
    text = models.TextField()
    responded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sponsor's response to DSMB recommendation {self.recommendation_id}"


class SafetySignal(models.Model):
    """The stopping rule tripped: ``events`` of ``treated`` in the watched arm (DSMB only)."""

    at = models.DateTimeField()
    treated = models.PositiveIntegerField()
    events = models.PositiveIntegerField()
    probability = models.FloatField()

    def __str__(self) -> str:
        return f"safety signal {self.pk}"


class SignalAlert(models.Model):
    PENDING, SENT, FAILED = "pending", "sent", "failed"

    signal = models.ForeignKey(SafetySignal, on_delete=models.PROTECT, related_name="alerts")
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"DSMB alert {self.pk} to {self.recipient}"


class ReportJob(models.Model):
    """One report generation queued from the meeting page; the task stores its ``report``."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=8, choices=Report.KINDS)
    # the role the generation runs as (checked again when the task stores the report)
    membership = models.ForeignKey("core.Membership", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, default=QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # a code of ``dsmb.jobs.REASONS`` (never an exception's text: a blinded reader may see it)
    error = models.CharField(max_length=40, blank=True)
    report = models.OneToOneField(Report, null=True, on_delete=models.PROTECT, related_name="job")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"DSMB {self.kind} report job {self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
