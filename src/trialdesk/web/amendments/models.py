"""What the amendment log stores. Only the actions in ``amendments.actions`` write these tables.

A :class:`ProtocolVersion` is one version of the protocol file, kept whole (its TOML text and the
text's SHA-256), with the date it takes effect and why it was made; version 1 is the protocol the
server started with, recorded with the first amendment (until then it is the running protocol
itself, so a server without amendments writes nothing). A :class:`SiteApproval` is one site's
ethics committee approval of a version: a site works under a version only once its approval is
entered and the version's effective date has come (``amendments.versions``).

Nothing here is edited or deleted: a wrong amendment is corrected by another one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.web.core.models import Site

User = settings.AUTH_USER_MODEL

REASON_MAX = 2000


class ProtocolVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    toml_text = models.TextField()
    sha256 = models.CharField(max_length=64)
    effective_date = models.DateField()
    reason = models.TextField(blank=True)
    # the classified diff against the version before (amendment.Change as JSON): kept as
    # recorded, so the page shows what the amendment changed even if the code's diff evolves
    changes = models.JSONField(default=list)
    recorded_at = models.DateTimeField()
    # empty for version 1 when it was recorded on the server's behalf
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ("number",)

    def __str__(self) -> str:
        return f"protocol version {self.number}"


class SiteApproval(models.Model):
    version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT,
                                related_name="approvals")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    approval_date = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (models.UniqueConstraint(fields=["version", "site"],
                                               name="amendment_approval_once"),)
        indexes = (models.Index(fields=["site", "approval_date"], name="amendment_site_date"),)

    def __str__(self) -> str:
        return f"approval of version {self.version_id} at site {self.site_id}"
