"""Who is acting: the signed-in user, the role the protocol gives them, and their site.

Every permission check goes through :func:`require` (or ``@action`` / ``@page``, which call it);
the permission names come from the closed list in ``trialdesk.blinding``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trialdesk.blinding import BlindingPolicy
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_policy

# Checks an app registers (in its AppConfig.ready; core imports no app) that may refuse a
# membership's role before it is used, raising Forbidden: administration's refuses a role whose
# delegation is not signed, and an account whose password the administrator reset.
ROLE_GATES: list[Callable[[Membership], None]] = []


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user, the role and (for a site role) the site code."""

    user: object
    username: str
    role: str
    site: str | None
    language: str
    policy: BlindingPolicy

    def can(self, permission: str) -> bool:
        """Return True if the actor's role holds ``permission``."""
        return self.policy.has_permission(self.role, permission)

    def can_any(self, permissions: tuple[str, ...]) -> bool:
        """Return True if the actor's role holds at least one of ``permissions``."""
        return any(self.can(permission) for permission in permissions)


def actor_for(user: object) -> Actor:
    """Return the Actor of an authenticated user; a user without a role may do nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Forbidden("not signed in")
    membership = _membership(user)
    if membership is None:
        raise Forbidden("this account has no role in the trial")
    for gate in ROLE_GATES:
        gate(membership)
    return Actor(
        user=user,
        username=user.get_username(),
        role=membership.role,
        site=membership.site.code if membership.site else None,
        language=membership.language,
        policy=get_policy(),
    )


def _membership(user: object) -> Membership | None:
    """The user's membership (with its site): the one fetched with the user in the same request
    (the API's token check selects it with the token), else from the database."""
    cache = getattr(getattr(user, "_state", None), "fields_cache", {})
    if "membership" in cache:  # fetched, and None when the user has none
        return cache["membership"]
    return Membership.objects.select_related("site").filter(user=user).first()


def require(actor: Actor, permission: str | tuple[str, ...]) -> None:
    """Raise Forbidden unless the actor's role holds ``permission`` (or one of a tuple of them)."""
    wanted = (permission,) if isinstance(permission, str) else permission
    if not actor.can_any(wanted):
        names = " or ".join(name.replace("_", " ") for name in wanted)
        raise Forbidden(f"the role {actor.role} may not {names}")
