"""REDCap API tokens: one per user, 32 hexadecimal characters, only the SHA-256 of it stored.

A REDCap token is a random 128-bit secret, so a fast hash is enough (no one can guess one to test
against the hash); the token itself is shown once, when the administrator creates it. Only the
actions in ``redcap.actions`` write this table.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


def hash_redcap_token(token: str) -> str:
    """The stored form of a token: SHA-256 of its upper-case text (REDCap prints tokens in upper
    case; a client that lower-cases one still reaches the same account)."""
    return hashlib.sha256(token.upper().encode()).hexdigest()


class RedcapToken(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="redcap_token")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"REDCap token of {self.user}"
