"""Revoking a user's credentials for scripts when their sign-in changes (issue 20): a token
issued on the password alone must not outlive the user's move to two-factor sign-in, nor an
authenticator the operator reset (a lost phone may have gone with the laptop holding tokens).

API tokens are revoked here; other apps' tokens (the REDCap API's) by the revokers they register
in their ``AppConfig.ready`` (accounts imports no app that imports it). Each revoked token is one
audit record: who revoked it, whose it was, and why; the records' time says when. Runs inside the
caller's action (its transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trialdesk.web.accounts.models import ApiToken
from trialdesk.web.core.audit import append_audit

# (user, actor, reason) -> None: revoke the app's credentials of ``user`` and audit each
REVOKERS: list[Callable[[Any, str, str], None]] = []


def revoke_credentials(user: Any, *, actor: str, reason: str) -> int:
    """Revoke every API token of ``user`` (and every registered app's tokens), each audited as
    ``revoke_token`` under ``actor`` with ``reason``; return how many API tokens there were."""
    tokens = list(ApiToken.objects.select_for_update().select_related("membership__site")
                  .filter(user=user).order_by("pk"))
    for token in tokens:
        membership = token.membership
        append_audit(actor=actor, action="revoke_token", model="api_token",
                     object_id=str(token.pk),
                     changes={"token": {"old": "issued", "new": None},
                              "user": {"old": user.get_username(), "new": None},
                              "label": {"old": token.label, "new": None},
                              "role": {"old": membership.role if membership else None,
                                       "new": None},
                              "site": {"old": (membership.site.code if membership
                                               and membership.site else None), "new": None},
                              "two_factor": {"old": token.two_factor, "new": None}},
                     reason=reason)
    ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).delete()
    for revoke in REVOKERS:
        revoke(user, actor, reason)
    return len(tokens)
