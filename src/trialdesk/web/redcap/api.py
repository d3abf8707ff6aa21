"""A user's REDCap token in the JSON API (the administrator's ``manage_users``), under /api/v1/;
the body is ``{}`` or ``{"reason": "..."}``, as every write of the API takes a JSON object.

``POST`` issues a new token (replacing the one the user had) and answers it: the only time anyone
sees it, since only its hash is stored; the answer is never cached and the token is in no audit
record or log. Deliberately not ``@idempotent``: a kept answer would store the token itself;
a client that lost the answer issues again, which replaces the lost token. ``DELETE`` revokes
it. Accounts whose role sees arms get their tokens from the
server's operator (``trialdesk users redcap-token``) only: the administrator is blinded.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.schemas import Strict
from trialdesk.web.redcap.actions import do_issue_redcap_token_as, do_revoke_redcap_token_as
from trialdesk.web.redcap.models import RedcapToken

router = Router(tags=["users"])

MANAGE_USERS = Permission.MANAGE_USERS


class RedcapTokenIn(Strict):
    """``{}``, or why the token is issued or revoked (kept in the audit record)."""

    reason: str = Field(default="", max_length=2000)


@router.post("/users/{username}/redcap-token", response={201: dict})
@endpoint(MANAGE_USERS, record_readers=(MANAGE_USERS,))
def issue_redcap_token(request: HttpRequest, username: str, body: RedcapTokenIn) -> Status:
    """Issue the user's REDCap token (32 hexadecimal characters) for ``/redcap/api/``, replacing
    the one they had; the answer holds it, shown this once. Audited as the administrator (never
    the token). 404 for an unknown user, 403 for an account whose role sees arms (the operator
    issues those at the command line), 409 for a deactivated account or one without a role."""
    token = do_issue_redcap_token_as(request_actor(request), username=username,
                                     reason=body.reason)
    created = RedcapToken.objects.get(user__username=username).created_at
    return Status(201, {"username": username, "redcap_token": token,
                        "created_at": created.isoformat()})


@router.delete("/users/{username}/redcap-token")
@endpoint(MANAGE_USERS, record_readers=(MANAGE_USERS,))
def revoke_redcap_token(request: HttpRequest, username: str,
                        body: RedcapTokenIn) -> dict[str, Any]:
    """Revoke the user's REDCap token: its next call is refused (401). Audited as the
    administrator; 404 for an unknown user, 409 when the user has no token."""
    do_revoke_redcap_token_as(request_actor(request), username=username, reason=body.reason)
    return {"username": username, "redcap_token": None}
