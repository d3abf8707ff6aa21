"""The records every app relies on: sites, who holds which role, the audit trail, the database lock.

Site, Membership, AuditRecord and AuditAnchor were first created by the ``trials`` app; their
tables keep those names so that moving them here changed no stored row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialdesk.web.core.sql import AppendOnlyManager

User = settings.AUTH_USER_MODEL


class Site(models.Model):
    """A trial site. It is published (public registry page) only once activated, with its status."""

    # what each status allows, and the changes between them: trialdesk.site_status
    PLANNED, ACTIVE, SUSPENDED, CLOSED = "planned", "active", "suspended", "closed"
    STATUSES = ((PLANNED, "planned"), (ACTIVE, "active"), (SUSPENDED, "suspended"),
                (CLOSED, "closed"))

    code = models.CharField(max_length=5, unique=True)
    name = models.CharField(max_length=200)
    # planned: named by the protocol, not open; active: recruiting; suspended: recruitment halted
    # for a while; closed: recruits no more (either still follows the patients it has)
    status = models.CharField(max_length=10, choices=STATUSES, default=PLANNED)
    activated_on = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "trials_site"

    def __str__(self) -> str:
        return self.code


class Membership(models.Model):
    """One role a user holds in the trial; site roles (investigator, pharmacist, ...) name one site.

    A person may hold several (investigator at one site, coordinator at another) and acts as one
    of them at a time (``core.actor``). A membership is deactivated, never deleted: the audit
    trail, the delegation log and API tokens keep pointing at it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=40)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    # empty: follow the browser (Accept-Language) until the user picks a language
    language = models.CharField(max_length=8, blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "trials_membership"
        constraints = (
            # one row per user, role and site; a trial-wide role (no site) once per user
            models.UniqueConstraint(fields=["user", "role", "site"],
                                    condition=models.Q(site__isnull=False),
                                    name="core_membership_user_role_site"),
            models.UniqueConstraint(fields=["user", "role"],
                                    condition=models.Q(site__isnull=True),
                                    name="core_membership_user_trial_role"),
        )

    def __str__(self) -> str:
        return f"{self.user} as {self.role} at {self.site or 'all sites'}"


class AuditRecord(models.Model):
    """One link of the hash-chained, append-only audit trail (triggers reject UPDATE/DELETE)."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=40)
    model = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=150, blank=True)  # a username, at most
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyManager()  # create: one INSERT in plain SQL (every write appends here)

    class Meta:
        db_table = "trials_auditrecord"
        # one user's recent events of one kind (failed signatures are counted at every attempt)
        indexes = (
            models.Index(fields=["actor", "action", "at"], name="trials_audit_actor_action"),
        )

    def __str__(self) -> str:
        return f"audit #{self.seq}"


class AuditAnchor(models.Model):
    """The head of the audit chain after each append, kept apart and append-only (triggers).

    The chain alone cannot show that its newest records were cut off; the anchors can, unless
    they are cut too, which is why ``trialdesk audit head`` is also published outside the server.
    """

    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    objects = AppendOnlyManager()  # create: one INSERT in plain SQL (every write appends here)

    class Meta:
        db_table = "trials_auditanchor"
        indexes = (models.Index(fields=["seq"], name="trials_anchor_seq"),)

    def __str__(self) -> str:
        return f"anchor #{self.seq}"


class DatabaseLockState(models.Model):
    """Whether the database is locked: one row, read by every clinical write.

    The locks themselves (who, when, why, the unlock) are records of the data-capture app; this row
    says which of them is in force, so the check needs no app and no scan of the lock history.
    """

    SINGLETON = 1

    locked = models.BooleanField(default=False)
    # the data-capture lock record in force (kept as a plain number: this layer knows no app)
    lock_id = models.BigIntegerField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "database locked" if self.locked else "database open"


class IdempotentAnswer(models.Model):
    """The answer a create operation of the API gave, kept under the caller's idempotency key.

    Written in the transaction of the create itself (``core.idempotency``), so a retry either
    finds it and gets the same answer (same status, same ids; nothing is created, audited or
    e-mailed twice) or finds nothing because nothing was created. Keys are the caller's own: an
    answer is replayed only to the user, role and site it was first given to (an unblinded
    answer never reaches anyone else).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=100)  # the API operation, e.g. safety.report_event
    # SHA-256 of the operation, its path parameters and its body (canonical JSON, key excluded)
    fingerprint = models.CharField(max_length=64)
    role = models.CharField(max_length=40)
    site = models.CharField(max_length=5, blank=True)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotent_user_key"),
        )

    def __str__(self) -> str:
        return f"{self.operation} under {self.key}"
