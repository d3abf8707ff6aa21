"""Which roles one person may hold together: never a role that sees arms beside a blinded one.

A person who sees the arms (the unblinded pharmacist, the DSMB statistician) cannot forget them
when acting in a blinded role (investigator, coordinator, data manager, ...): their blinded work
would be done knowing the groups. So one account may hold several roles at several sites, but its
roles are either all unblinded or all blinded. An ``after_unblinding`` role (the analyst) counts
as blinded: it sees arms only once the whole trial is unblinded, when blinding ends for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable

from trialdesk.blinding.policy import BlindingPolicy


class ConflictingRoles(ValueError):
    """A role that sees arms and a blinded role asked of the same person."""

    def __init__(self, unblinded_role: str, blinded_role: str) -> None:
        self.unblinded_role = unblinded_role
        self.blinded_role = blinded_role
        super().__init__(
            f"the role {unblinded_role} sees arms and the role {blinded_role} is blinded: "
            "one person may not hold both")


def check_role_combination(policy: BlindingPolicy, held: Iterable[str], new_role: str) -> None:
    """Raise ConflictingRoles if a person holding ``held`` may not also hold ``new_role``.

    ``held`` is every role the person holds or has held: what an unblinded role has seen stays
    seen after its deactivation. Raise UnknownRole for a role the protocol does not define.
    """
    new_sees = policy.sees_any_arm(new_role)
    for role in held:
        if policy.sees_any_arm(role) != new_sees:
            if new_sees:
                raise ConflictingRoles(new_role, role)
            raise ConflictingRoles(role, new_role)
