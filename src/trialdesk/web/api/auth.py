"""API authentication: a bearer token for scripts, the session (with CSRF) for pages."""

from __future__ import annotations

from typing import Any

from ninja.security import HttpBearer, django_auth

from trialdesk.web.accounts.models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: Any, token: str) -> Any:
        # the user's role and site come in the same query: actor_for uses them (one query less)
        record = (ApiToken.objects.select_related("user__membership__site")
                  .filter(key_hash=hash_token(token)).first())
        if record is None or not record.user.is_active:
            return None
        request.user = record.user
        return record.user


AUTH = [TokenAuth(), django_auth]
