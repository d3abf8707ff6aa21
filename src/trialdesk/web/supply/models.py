"""What the supply chain stores (issue 18): lots and their release, which lot each kit holds,
shipments with their temperature logs, quarantine holds, custody hand-overs and preparations.

Only ``supply.actions`` writes these tables. Everything here is unblinded product data: a lot is
of cells or of placebo, so a lot code sorts kits by arm; only roles that see arms read it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import AllocationSlot, Participant

User = settings.AUTH_USER_MODEL

CODE_MAX, TEXT_MAX = 40, 2000


class Lot(models.Model):
    """A manufactured lot of the product (cells) or of the placebo preparation.

    Both look alike in every blinded place (a code on a bag); ``product`` and the release results
    are for unblinded eyes. ``status``: pending until quality decides, then released or failed.
    """

    CELLS, PLACEBO = "cells", "placebo"
    PRODUCTS = ((CELLS, "Cells"), (PLACEBO, "Placebo / standard preparation"))
    PENDING, RELEASED, FAILED = "pending", "released", "failed"

    code = models.CharField(max_length=CODE_MAX, unique=True)
    product = models.CharField(max_length=10, choices=PRODUCTS)
    manufacturer = models.CharField(max_length=200)
    manufactured_on = models.DateField()
    expires_on = models.DateField()  # manufactured_on + the protocol's shelf life
    cells_per_ml = models.FloatField(null=True, blank=True)  # measured concentration (cells)
    manufacturing_notes = models.TextField(blank=True, default="")
    results = models.JSONField(default=dict)  # release test code -> value
    status = models.CharField(max_length=10, default=PENDING)
    failures = models.JSONField(default=list)  # the release decision's failures, as text
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    signature_meaning = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.code


class KitLot(models.Model):
    """Which lot a kit (an allocation slot: the bag with its code) was filled from."""

    slot = models.OneToOneField(AllocationSlot, on_delete=models.PROTECT, related_name="kit_lot")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="kits")
    # where the kit is: the manufacturer's depot until a shipment to a site is received
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.slot.kit_code} of lot {self.lot.code}"


class Shipment(models.Model):
    """Kits sent from the depot to a site; received with the logger's temperature record."""

    IN_TRANSIT, RECEIVED = "in_transit", "received"

    origin = models.CharField(max_length=200)
    destination = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kits = models.ManyToManyField(AllocationSlot, related_name="shipments")
    status = models.CharField(max_length=12, default=IN_TRANSIT)
    shipped_at = models.DateTimeField()
    shipped_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    log_sha256 = models.CharField(max_length=64, blank=True, default="")
    readings = models.PositiveIntegerField(default=0)
    excursions = models.JSONField(default=list)  # start, end, worst of each

    def __str__(self) -> str:
        return f"shipment {self.pk}"


class Quarantine(models.Model):
    """A kit held after its shipment's temperature excursion, until released (with a reason) or
    destroyed. An open hold (``resolved_at`` empty) makes the kit unusable."""

    RELEASED, DESTROYED = "released", "destroyed"

    slot = models.ForeignKey(AllocationSlot, on_delete=models.PROTECT, related_name="holds")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="holds")
    opened_at = models.DateTimeField()
    resolution = models.CharField(max_length=10, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    def __str__(self) -> str:
        return f"hold of {self.slot.kit_code}"


class CustodyTransfer(models.Model):
    """One hand-over of a shipment's kits: from whom to whom, when and where."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="custody")
    handed_by = models.CharField(max_length=200)
    received_by = models.CharField(max_length=200)
    place = models.CharField(max_length=200)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"custody of shipment {self.shipment_id} at {self.at:%Y-%m-%d}"


class Preparation(models.Model):
    """The pharmacist's preparation of a participant's kit: thaw, viability, dose and volume."""

    slot = models.OneToOneField(AllocationSlot, on_delete=models.PROTECT,
                                related_name="preparation")
    thawed_at = models.DateTimeField()
    use_by = models.DateTimeField()  # thawed_at + the protocol's post-thaw hours
    viability_percent = models.FloatField(null=True, blank=True)
    weight_kg = models.FloatField()
    dose_cells = models.FloatField()
    volume_ml = models.FloatField()
    rounding = models.CharField(max_length=200)
    prepared_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"preparation of {self.slot.kit_code}"


class Infusion(models.Model):
    """The infusion of a prepared kit (the pharmacy's infusion record): when it ran, its rate,
    the volume given, its interruptions (start, end and reason of each) and any reactions."""

    preparation = models.OneToOneField(Preparation, on_delete=models.PROTECT,
                                       related_name="infusion")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    rate_ml_per_h = models.FloatField()
    volume_ml = models.FloatField()
    interruptions = models.JSONField(default=list)  # [{"start", "end", "reason"}] in UTC
    reactions = models.TextField(blank=True, default="")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"infusion of {self.preparation.slot.kit_code}"


class KitReplacement(models.Model):
    """A participant's kit replaced by another usable kit of the same arm at the same site.

    ``reason`` is the site's statement (a damaged bag is seen, not computed); ``problems`` is what
    made the old kit unusable as the system saw it then. Both stay here, for unblinded readers:
    the audit trail says only which kit replaced which.
    """

    DAMAGED, EXPIRED, POST_THAW_EXPIRED, QUARANTINED = (
        "damaged", "expired", "post_thaw_expired", "quarantined")
    REASONS = (DAMAGED, EXPIRED, POST_THAW_EXPIRED, QUARANTINED)

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    old_slot = models.OneToOneField(AllocationSlot, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    new_slot = models.OneToOneField(AllocationSlot, on_delete=models.PROTECT,
                                    related_name="replacement_for")
    reason = models.CharField(max_length=20)
    note = models.TextField(blank=True, default="")
    problems = models.JSONField(default=list)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.old_slot.kit_code} replaced by {self.new_slot.kit_code}"
