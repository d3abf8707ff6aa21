"""The roles of a protocol and the one rule that decides whether a viewer may see an arm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialdesk.blinding.permissions import Permission, to_permission


class UnknownRole(LookupError):
    """A role code that the protocol does not define."""


@dataclass(frozen=True)
class RoleInfo:
    code: str
    site_scoped: bool
    sees_arm: str
    permissions: frozenset[Permission]


class BlindingPolicy:
    """The protocol's roles, their permissions and who may see an arm.

    ``sees_arm`` values: ``never`` (only after an emergency unblinding that this viewer requested
    for this participant), ``own_site`` (participants of the viewer's own site), ``all``, and
    ``after_unblinding`` (once the trial as a whole is unblinded after database lock).
    """

    def __init__(self, protocol: Any) -> None:
        self._roles = {
            role.code: RoleInfo(
                role.code,
                role.site_scoped,
                role.sees_arm,
                frozenset(to_permission(name) for name in role.permissions),
            )
            for role in protocol.roles
        }

    @property
    def role_codes(self) -> list[str]:
        """Return the role codes in protocol order."""
        return list(self._roles)

    def role(self, code: str) -> RoleInfo:
        """Return the role with ``code``; raise UnknownRole if the protocol has none."""
        try:
            return self._roles[code]
        except KeyError:
            raise UnknownRole(f"unknown role {code!r}; known: {', '.join(self._roles)}") from None

    def has_permission(self, role: str, permission: str) -> bool:
        """Return True if ``role`` holds ``permission``.

        Raise UnknownPermission (a ValueError) if ``permission`` is not on the closed list: a
        misspelt check must fail loudly, not deny quietly.
        """
        return to_permission(permission) in self.role(role).permissions

    def is_site_scoped(self, role: str) -> bool:
        """Return True if the role acts for one site only."""
        return self.role(role).site_scoped

    def may_see_arm(
        self,
        role: str,
        *,
        viewer_site: str | None,
        participant_site: str,
        emergency_unblinded_for_viewer: bool = False,
        trial_unblinded: bool = False,
    ) -> bool:
        """Return True if a viewer with ``role`` (at ``viewer_site``) may see the participant's arm.

        The same rule covers a kit: a kit's participant site is the site it was allocated at.
        """
        info = self.role(role)
        if info.site_scoped and viewer_site != participant_site:
            return False
        if emergency_unblinded_for_viewer:
            return True
        if info.sees_arm == "all":
            return True
        if info.sees_arm == "own_site":
            return viewer_site == participant_site
        if info.sees_arm == "after_unblinding":
            return trial_unblinded
        return False

    def sees_any_arm(self, role: str) -> bool:
        """Return True if the role sees arms in the normal course of the trial."""
        return self.role(role).sees_arm in ("all", "own_site")
