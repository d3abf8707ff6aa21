"""Who is acting: the signed-in user, the membership they act as (role and site).

A person may hold several memberships (investigator at one site, coordinator at another) and acts
as one at a time: the one chosen for the session (``core.acting``), the one an API token is bound
to, or, for a person with one active membership, that one. Every permission check goes through
:func:`require` (or ``@action`` / ``@page``, which call it) on that membership alone; the
permission names come from the closed list in ``trialdesk.blinding``.
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
    """Who is acting: the user, the role and (for a site role) the site code of one membership."""

    user: object
    username: str
    role: str
    site: str | None
    language: str
    policy: BlindingPolicy
    membership_id: int | None = None  # the membership acted as (API tokens are bound to it)

    def can(self, permission: str) -> bool:
        """Return True if the actor's role holds ``permission``."""
        return self.policy.has_permission(self.role, permission)

    def can_any(self, permissions: tuple[str, ...]) -> bool:
        """Return True if the actor's role holds at least one of ``permissions``."""
        return any(self.can(permission) for permission in permissions)


class RoleNotChosen(Forbidden):
    """A person with several memberships has not chosen the one to act as (pages ask them)."""


# where the membership a request acts as is kept on its user object (None: acts as no role)
_ACTING = "_trialdesk_acting_membership"


def active_memberships(user: object) -> list[Membership]:
    """The user's active memberships with their sites, oldest first."""
    return list(Membership.objects.select_related("site")
                .filter(user=user, active=True).order_by("pk"))


def act_as(user: object, membership: Membership | None) -> None:
    """Make ``user`` act as ``membership`` (one of theirs) for the rest of this request;
    None: as no role at all (an API token bound to no membership)."""
    setattr(user, _ACTING, membership)


def acting_membership(user: object) -> Membership | None:
    """The membership ``user`` acts as: the one chosen (:func:`act_as`), else their only active
    one; None when they hold none, or several and chose none."""
    if hasattr(user, _ACTING):
        return getattr(user, _ACTING)
    memberships = active_memberships(user)
    return memberships[0] if len(memberships) == 1 else None


def actor_as(membership: Membership) -> Actor:
    """The Actor of ``membership``'s user acting as it (for the operator's scripts: the demo)."""
    act_as(membership.user, membership)
    return actor_for(membership.user)


def actor_able_to(user: object, permission: str) -> Actor:
    """The Actor of ``user`` for the command line's ``--as USER``, where there is no session to
    choose a role in: acting as their first active membership whose role holds ``permission``
    (else their first, which the action then refuses by name)."""
    memberships = active_memberships(user) if user is not None else []
    policy = get_policy()
    able = [m for m in memberships if policy.has_permission(m.role, permission)]
    if able or memberships:
        act_as(user, (able or memberships)[0])
    return actor_for(user)


def actor_for(user: object) -> Actor:
    """Return the Actor of an authenticated user; a user without a role may do nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Forbidden("not signed in")
    if hasattr(user, _ACTING):
        membership = getattr(user, _ACTING)
    else:
        memberships = active_memberships(user)
        if len(memberships) > 1:
            raise RoleNotChosen("this account holds several roles: choose the one to act as")
        membership = memberships[0] if memberships else None
    if membership is None:
        raise Forbidden("this account has no role in the trial")
    if not membership.active:  # deactivated after it was chosen, or a queued job's role
        raise Forbidden("this role has been deactivated")
    for gate in ROLE_GATES:
        gate(membership)
    return Actor(
        user=user,
        username=user.get_username(),
        role=membership.role,
        site=membership.site.code if membership.site else None,
        language=membership.language,
        policy=get_policy(),
        membership_id=membership.pk,
    )


def require(actor: Actor, permission: str | tuple[str, ...]) -> None:
    """Raise Forbidden unless the actor's role holds ``permission`` (or one of a tuple of them)."""
    wanted = (permission,) if isinstance(permission, str) else permission
    if not actor.can_any(wanted):
        names = " or ".join(name.replace("_", " ") for name in wanted)
        raise Forbidden(f"the role {actor.role} may not {names}")
