"""The only writers of the REDCap API's own records: tokens, and the audit record of a read.

Tokens are issued and revoked by the server's operator (``trialdesk users redcap-token``) or by
the trial's administrator (``manage_users``, through ``/api/v1/users/{username}/redcap-token``).
The administrator is blinded: an account whose role sees arms gets its token from the operator
only, as such accounts are created by the operator only (the administrator would hold a token
that reads arms).

Everything else the API writes (form values, a randomization) goes through the capture and trial
actions, so every check, audit and lock rule of a page applies to it too.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor, active_memberships
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, Forbidden, NotFound
from trialdesk.web.redcap.models import RedcapToken, hash_redcap_token


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    return user


@action(None)
def do_issue_redcap_token(*, actor: str, username: str) -> str:
    """Create the user's REDCap token (32 upper-case hexadecimal characters, as REDCap prints
    them), replacing the one they had; return it. Only its hash is kept.

    For the server's operator (``trialdesk users redcap-token``): ``actor`` names who acts.
    """
    return _issue(actor, _user(username))


@action("manage_users")
def do_issue_redcap_token_as(actor: Actor, *, username: str, reason: str = "") -> str:
    """Create the user's REDCap token as the trial's administrator, audited under their name
    (with ``reason``, if given); return it (shown once). Not for an account whose role sees
    arms, nor one without a role."""
    user = _user(username)
    memberships = active_memberships(user)
    if len(memberships) != 1 or not user.is_active:
        raise Conflict("no_api_access", f"{username} has no active account with one role in "
                                        "the trial: a REDCap token would not work")
    membership = memberships[0]
    if actor.policy.sees_any_arm(membership.role):
        raise Forbidden(f"the role {membership.role} sees arms: its REDCap tokens are issued "
                        "by the server's operator (trialdesk users redcap-token), not by the "
                        "administrator")
    return _issue(actor.username, user, reason.strip())


@action("manage_users")
def do_revoke_redcap_token_as(actor: Actor, *, username: str, reason: str = "") -> None:
    """Revoke the user's REDCap token as the trial's administrator (any account's: revoking
    reveals nothing), with ``reason`` if given; 409 when they have none."""
    _revoke(actor.username, username, reason.strip())


def _issue(actor: str, user: Any, reason: str = "") -> str:
    """The body both issuers share; runs inside their transaction."""
    username = user.get_username()
    token = secrets.token_hex(16).upper()
    replaced = RedcapToken.objects.filter(user=user).delete()[0] > 0
    RedcapToken.objects.create(user=user, key_hash=hash_redcap_token(token),
                               created_at=clock.now(), created_by=actor)
    append_audit(actor=actor, action="issue_redcap_token", model="redcap_token",
                 object_id=username,
                 changes={"redcap_token": {"old": "replaced" if replaced else None,
                                           "new": "issued"}}, reason=reason)
    return token


@action(None)
def do_revoke_redcap_token(*, actor: str, username: str) -> None:
    """Revoke the user's REDCap token: the next call with it is refused (401)."""
    _revoke(actor, username)


def _revoke(actor: str, username: str, reason: str = "") -> None:
    user = _user(username)
    if not RedcapToken.objects.filter(user=user).delete()[0]:
        raise Conflict("no_token", f"{username} has no REDCap token")
    append_audit(actor=actor, action="revoke_redcap_token", model="redcap_token",
                 object_id=username, changes={"redcap_token": {"old": "issued", "new": None}},
                 reason=reason)


def revoke_with_credentials(user: Any, actor: str, reason: str) -> None:
    """The user's REDCap token revoked with their API tokens (``accounts.credentials``, which
    runs it inside its action: two-factor sign-in turned on or reset), audited with ``reason``;
    nothing when they have none."""
    if RedcapToken.objects.filter(user=user).delete()[0]:
        append_audit(actor=actor, action="revoke_redcap_token", model="redcap_token",
                     object_id=user.get_username(),
                     changes={"redcap_token": {"old": "issued", "new": None}}, reason=reason)


@action(None)
def do_audit_redcap_read(actor: Actor, *, content: str, request: dict[str, Any]) -> None:
    """Record that ``actor`` read clinical data (records, the log) through the REDCap API: who,
    when, which method and which filters. No permission of its own: the method checked it."""
    append_audit(actor=actor.username, action="redcap_read", model="redcap_api",
                 object_id=content, changes={"read": {"old": None, "new": request}})
