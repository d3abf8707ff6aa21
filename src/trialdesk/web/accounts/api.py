"""User accounts in the JSON API (the administrator's ``manage_users``), mounted under /api/v1/.

Answers never carry a password or its hash: a new account's password is the one the administrator
sent, and only the account holder should keep it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.accounts.actions import do_create_user_as, do_deactivate_user
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.schemas import Strict

router = Router(tags=["users"])

MANAGE_USERS = Permission.MANAGE_USERS


class UserIn(Idempotent):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    role: str = Field(min_length=1, max_length=40)
    site: str | None = Field(default=None, max_length=5)
    password: str = Field(min_length=1, max_length=200)
    language: str = Field(default="", max_length=8)
    email: str = Field(default="", max_length=254)


class DeactivateIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def user_view(user: Any) -> dict[str, Any]:
    """Return what an administrator sees of an account (never the password hash): each of its
    memberships, and as ``role``/``site`` its first active one."""
    memberships = sorted(user.memberships.all(), key=lambda m: m.pk)
    active = [m for m in memberships if m.active]
    membership = active[0] if active else None
    return {
        "username": user.get_username(),
        "role": membership.role if membership else None,
        "site": membership.site.code if membership and membership.site else None,
        "memberships": [{"role": m.role, "site": m.site.code if m.site else None,
                         "active": m.active} for m in memberships],
        "language": memberships[0].language if memberships else "",
        "email": user.email,
        "active": user.is_active,
        "last_login": _iso(user.last_login),
        "date_joined": _iso(user.date_joined),
    }


def _user(username: str) -> Any:
    return get_user_model().objects.prefetch_related("memberships__site").get(username=username)


@router.get("/users")
@endpoint(MANAGE_USERS)
def list_users(request: HttpRequest) -> list[dict[str, Any]]:
    """Every account, by username: role, site, language, active, last sign-in."""
    users = get_user_model().objects.prefetch_related("memberships__site").order_by("username")
    return [user_view(user) for user in users]


@router.post("/users", response={201: dict})
@endpoint(MANAGE_USERS)
@idempotent("accounts.create_user")
def create_user(request: HttpRequest, body: UserIn) -> Status:
    """Create an account with a role of the protocol (and its site, for a site role).

    The same rules as ``trialdesk users create``: the password must pass the password policy, the
    username must be free; a bad value answers 422 naming the field. Audited as the administrator.
    """
    actor = request_actor(request)
    do_create_user_as(actor, username=body.username, role=body.role, site=body.site or None,
                      password=body.password, language=body.language, email=body.email)
    return Status(201, user_view(_user(body.username)))


@router.post("/users/{username}/deactivate")
@endpoint(MANAGE_USERS, record_readers=(MANAGE_USERS,))
def deactivate_user(request: HttpRequest, username: str, body: DeactivateIn) -> dict[str, Any]:
    """Deactivate an account, with the reason (audited): it can no longer sign in and its API
    tokens stop working. Not one's own account (409); an unknown username is 404, and so is any
    username for a role that may not manage users (it reads no account)."""
    actor = request_actor(request)
    do_deactivate_user(actor, username, reason=body.reason)
    return user_view(_user(username))
