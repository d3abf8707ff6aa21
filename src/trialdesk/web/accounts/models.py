"""API tokens for scripts; the token itself is shown once and only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from trialdesk.web.core.models import Membership


def hash_token(token: str) -> str:
    """Return the stored form of a token (SHA-256: tokens are random, so no slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A script's credential, bound to one of its user's memberships: the role and site it acts
    as. It stops working when that membership (or the account) is deactivated, and is refused
    when it was issued without a sign-in code to a user who now must give one (``two_factor``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    # null: issued to a user holding no role (the token authenticates, and may do nothing)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # whether the exchange checked a code of the user's authenticator: a token issued on the
    # password alone must not outlive the user's (or their role's) move to two-factor sign-in
    two_factor = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"token {self.label or self.pk} of {self.user}"

    @classmethod
    def issue(cls, user: object, label: str = "",
              membership: Membership | None = None, two_factor: bool = False
              ) -> tuple[ApiToken, str]:
        """Create a token for ``user`` acting as ``membership`` (default: their first active
        one), ``two_factor`` when a code was checked; return it and the secret, which is not
        stored."""
        if membership is None:
            membership = (Membership.objects.filter(user=user, active=True)
                          .order_by("pk").first())
        secret = "tdk_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, membership=membership,
                                   key_hash=hash_token(secret), label=label,
                                   two_factor=two_factor)
        return token, secret
