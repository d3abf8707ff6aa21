"""API tokens for scripts; the token itself is shown once and only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


def hash_token(token: str) -> str:
    """Return the stored form of a token (SHA-256: tokens are random, so no slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token {self.label or self.pk} of {self.user}"

    @classmethod
    def issue(cls, user: object, label: str = "") -> tuple[ApiToken, str]:
        """Create a token for ``user``; return it and the secret, which is not stored."""
        secret = "tdk_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, key_hash=hash_token(secret), label=label), secret
