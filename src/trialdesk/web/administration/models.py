"""What the administration pages keep beside the core records: a site's time zone, language and
principal investigator, an account's forced password change, the delegation-of-authority log and
each person's training records. Nothing here is ever deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.web.core.models import Membership, Site

User = settings.AUTH_USER_MODEL
LANGUAGES = (("en", "English"), ("es", "Español"))


class SiteSettings(models.Model):
    """A site's clock and language as its administrator set them, and who signs its
    delegations (the site's principal investigator)."""

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="settings")
    time_zone = models.CharField(max_length=64)
    language = models.CharField(max_length=8, choices=LANGUAGES, default="es")
    principal_investigator = models.ForeignKey(User, null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"settings of {self.site}"


class AccountFlags(models.Model):
    """An account's state the administrator sets: a password to change before anything else."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="admin_flags")
    must_change_password = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"flags of {self.user}"


class Delegation(models.Model):
    """One entry of the delegation-of-authority log: a person's role at a site, the duties
    delegated, the period, and the principal investigator's signature (password re-entered).

    A role is usable only while an entry for its membership is signed and current. Memberships
    the server's operator creates (``trialdesk users``) are delegated at creation, signed by
    ``SYSTEM``; those the administration pages create wait for the signature.
    """

    SYSTEM = "system"

    membership = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                   related_name="delegations")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations")
    role = models.CharField(max_length=40)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    duties = models.TextField()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    signed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    signed_by_name = models.CharField(max_length=150, blank=True)  # a username, or SYSTEM
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=["membership", "signed_at"],
                                name="admin_delegation_membership"),)

    def __str__(self) -> str:
        return f"delegation {self.pk}: {self.person} as {self.role} at {self.site or 'all sites'}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class TrainingRecord(models.Model):
    """A course a person completed, and when its certificate expires (none: it does not)."""

    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="training_records")
    course = models.CharField(max_length=200)
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.person}: {self.course}"
