"""What the trial server stores. Only the actions in ``trials.actions`` write these tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trialdesk.web.core.models import Site

User = settings.AUTH_USER_MODEL




class Participant(models.Model):
    code = models.CharField(max_length=20, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants")
    eligible = models.BooleanField()
    unblinded = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.code


class ScreeningRecord(models.Model):
    """The screening log entry: entered values, each criterion's result, and the decision."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="screening"
    )
    values = models.JSONField()
    criteria = models.JSONField()
    reasons = models.JSONField()
    eligible = models.BooleanField()
    stratum = models.CharField(max_length=200, blank=True)
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # the client's key of the screening request: a retry with it returns this participant
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # the protocol version in force at the site when the patient was screened: eligibility and
    # stratum were evaluated, and corrections are re-evaluated, under it (issue 17)
    protocol_version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"screening of {self.participant}"


class Consent(models.Model):
    """The participant's first informed consent (issue 17: who signed, on which approved version).

    Later events (the participant's own confirmation or refusal on regaining capacity, a
    withdrawal, a signature on a new version) are :class:`ConsentEvent` rows, never edits here.
    Records made before issue 17 have only the date and the version (the other fields empty).
    """

    PARTICIPANT, LAR = "participant", "lar"
    SIGNERS = ((PARTICIPANT, "Participant"), (LAR, "Legally authorized representative"))

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="consent"
    )
    consent_date = models.DateField()
    form_version = models.CharField(max_length=40)
    language = models.CharField(max_length=10, blank=True, default="")
    signer = models.CharField(max_length=12, choices=SIGNERS, default=PARTICIPANT)
    lar_name = models.CharField(max_length=200, blank=True, default="")
    lar_relationship = models.CharField(max_length=100, blank=True, default="")
    signer_can_read = models.BooleanField(default=True)
    witness_name = models.CharField(max_length=200, blank=True, default="")
    # the moment of signature (the site's local time, kept in UTC); None when only a date was given
    consented_at = models.DateTimeField(null=True, blank=True)
    obtained_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # the scanned signed document: a file under the data directory, its SHA-256 kept here
    document_name = models.CharField(max_length=200, blank=True, default="")
    document_path = models.CharField(max_length=300, blank=True, default="")
    document_sha256 = models.CharField(max_length=64, blank=True, default="")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"consent of {self.participant}"


class ConsentEvent(models.Model):
    """What happened to a consent after it was given: an append-only log (trials.actions.consent).

    ``capacity_regained`` opens the task of asking the participant; ``confirmed`` (they continue)
    or ``refused`` (the protocol's data rule applies) closes it. ``withdrawn`` has a level
    (treatment, follow_up, all_data) and says whether the data collected so far may be used.
    ``reconsented``: the participant (or LAR) signed another approved version.
    """

    CAPACITY_REGAINED, CONFIRMED, REFUSED = "capacity_regained", "confirmed", "refused"
    WITHDRAWN, RECONSENTED = "withdrawn", "reconsented"
    KINDS = (CAPACITY_REGAINED, CONFIRMED, REFUSED, WITHDRAWN, RECONSENTED)

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="consent_events")
    kind = models.CharField(max_length=20)
    date = models.DateField()
    # withdrawn, or the refusal's effect by the protocol's data rule
    level = models.CharField(max_length=12, blank=True, default="")
    data_use = models.BooleanField(null=True)
    data_rule = models.CharField(max_length=20, blank=True, default="")
    # reconsented: the new signature, as on Consent
    form_version = models.CharField(max_length=40, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="")
    signer = models.CharField(max_length=12, blank=True, default="")
    lar_name = models.CharField(max_length=200, blank=True, default="")
    lar_relationship = models.CharField(max_length=100, blank=True, default="")
    witness_name = models.CharField(max_length=200, blank=True, default="")
    obtained_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    note = models.TextField(blank=True, default="")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = (models.Index(fields=["participant", "kind"]),)

    def __str__(self) -> str:
        return f"{self.kind} of {self.participant_id} on {self.date}"


class AllocationListRecord(models.Model):
    """The committed allocation list; its rows are the slots. Only one list is active.

    For a dynamic procedure (minimization) no list exists: the record holds the commitment of the
    procedure and seed, and the slots are the pharmacy's kits, pre-labelled per site and arm.
    """

    commitment = models.CharField(max_length=64)
    salt = models.CharField(max_length=64)
    metadata = models.JSONField()
    created_at = models.DateTimeField()
    # Dynamic procedures draw at randomization time, so the server keeps the secret seed. It is as
    # secret as the slots' arms in this same database, and revealed at the final unblinding.
    seed = models.CharField(max_length=128, blank=True, default="")

    def __str__(self) -> str:
        return self.commitment

    @property
    def dynamic(self) -> bool:
        """Return True if allocations are made at randomization time (no list in advance)."""
        return bool(self.metadata.get("dynamic"))


class AllocationSlot(models.Model):
    allocation_list = models.ForeignKey(AllocationListRecord, on_delete=models.PROTECT)
    sequence = models.PositiveIntegerField(unique=True)
    stratum = models.CharField(max_length=200, db_index=True)
    arm = models.CharField(max_length=40)
    kit_code = models.CharField(max_length=20, unique=True)
    block = models.PositiveIntegerField(null=True)
    block_size = models.PositiveIntegerField(null=True)
    used = models.BooleanField(default=False)

    class Meta:
        indexes = (models.Index(fields=["stratum", "used", "sequence"]),)

    def __str__(self) -> str:
        return f"slot {self.sequence}"


class StratumCursor(models.Model):
    """One row per stratum, locked by ``select_for_update`` so that a stratum allocates serially."""

    stratum = models.CharField(max_length=200, unique=True)
    allocated = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.stratum


class Randomization(models.Model):
    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="randomization"
    )
    slot = models.OneToOneField(
        AllocationSlot, on_delete=models.PROTECT, related_name="randomization"
    )
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    randomized_at = models.DateTimeField()
    randomized_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The randomization number: the order of randomization, not of the list."""
        return f"R{self.pk:05d}"


class Dispensing(models.Model):
    slot = models.OneToOneField(AllocationSlot, on_delete=models.PROTECT, related_name="dispensing")
    lot = models.CharField(max_length=40)
    dispensed_at = models.DateTimeField()
    dispensed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"dispensing of {self.slot.kit_code}"


class UnblindingEvent(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="unblindings"
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"unblinding of {self.participant}"



class RestrictedAllocationLog(models.Model):
    """Which slot (arm, kit) a randomization took: kept apart so the audit trail stays blinded."""

    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    participant_code = models.CharField(max_length=20)
    sequence = models.PositiveIntegerField()
    stratum = models.CharField(max_length=200)
    arm = models.CharField(max_length=40)
    kit_code = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"allocation of slot {self.sequence}"


class FinalUnblinding(models.Model):
    """The trial-wide unblinding after database lock: requested by one person, approved by another.

    Once approved it stands: roles that see arms "after unblinding" (the analyst) see them.
    """

    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    reason = models.TextField()
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"final unblinding requested {self.requested_at:%Y-%m-%d}"

    @classmethod
    def trial_unblinded(cls) -> bool:
        """Return True once a final unblinding has been approved."""
        return cls.objects.filter(approved_at__isnull=False).exists()


class DummyAllocation(models.Model):
    """The seed of the dummy allocation blinded people analyse until the final unblinding.

    One row, made with the allocation list and apart from its secret seed (which is a file in the
    data directory): the dummy reveals nothing about the real allocation, see
    ``trialdesk.randomization.dummy``.
    """

    seed = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return "dummy allocation"


class DynamicAllocationStep(models.Model):
    """One allocation of a dynamic procedure, a link of its hash chain (restricted: it has the arm).

    ``head`` = SHA-256(previous head + record); replaying the records from the revealed seed
    re-derives every arm (``trialdesk.randomization.DynamicAllocator.replay``).
    """

    index = models.PositiveIntegerField(unique=True)
    participant = models.OneToOneField(Participant, on_delete=models.PROTECT,
                                       related_name="allocation_step")
    levels = models.JSONField()
    arm = models.CharField(max_length=40)
    record = models.TextField()
    previous_head = models.CharField(max_length=64)
    head = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"dynamic allocation {self.index}"


class DsmbRecommendation(models.Model):
    """A recommendation of the Data and Safety Monitoring Board after one of its meetings.

    Recorded by the DSMB statistician. The decision is for the sponsor and every administrator to
    act on; the rationale may speak of the arms, so only roles that see unblinded reports read it.
    """

    CONTINUE = "continue"
    CONTINUE_WITH_MODIFICATIONS = "continue_with_modifications"
    PAUSE_ENROLLMENT = "pause_enrollment"
    STOP_FOR_SAFETY = "stop_for_safety"
    STOP_FOR_EFFICACY = "stop_for_efficacy"
    STOP_FOR_FUTILITY = "stop_for_futility"
    DECISIONS = (
        (CONTINUE, "Continue"),
        (CONTINUE_WITH_MODIFICATIONS, "Continue with modifications"),
        (PAUSE_ENROLLMENT, "Pause enrollment"),
        (STOP_FOR_SAFETY, "Stop for safety"),
        (STOP_FOR_EFFICACY, "Stop for efficacy"),
        (STOP_FOR_FUTILITY, "Stop for futility"),
    )

    meeting_date = models.DateField()
    decision = models.CharField(max_length=40, choices=DECISIONS)
    rationale = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"DSMB recommendation of {self.meeting_date}: {self.decision}"


# the recommendation's decisions in the reader's language (the stored choices' labels are the
# API's English)
DECISION_LABELS = {
    "continue": _("Continue"),
    "continue_with_modifications": _("Continue with modifications"),
    "pause_enrollment": _("Pause enrollment"),
    "stop_for_safety": _("Stop for safety"),
    "stop_for_efficacy": _("Stop for efficacy"),
    "stop_for_futility": _("Stop for futility"),
}
