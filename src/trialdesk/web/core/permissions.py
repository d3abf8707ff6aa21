"""What each kind of page or endpoint asks of a role, named once.

A page or endpoint declares one of these (or a single permission) where it is defined, through
``@page(...)`` or ``@endpoint(...)``; a tuple means "any of". Nothing else checks roles.
"""

from __future__ import annotations

from trialdesk.blinding import Permission
from trialdesk.web.core.errors import Forbidden, NotFound

Requirement = Permission | str | tuple[Permission | str, ...]

# Any signed-in user with a role in the trial (their own account, the dashboard).
ANY_ROLE: tuple[Permission, ...] = ()
# Anyone, signed in or not (the public registry record, sign-in itself).
PUBLIC = "public"

READ_PARTICIPANTS = (Permission.SCREEN, Permission.READ)
READ_AUDIT = (Permission.READ_AUDIT, Permission.VERIFY_SOURCE)
# Which participant was emergency-unblinded is itself a disclosure (one known arm, in a blinded
# analyst's hands, unblinds every participant who shares it): only roles granted this right.
READ_UNBLINDING_EVENTS = (Permission.READ_UNBLINDING_EVENTS,)
# The design pages read no trial data and reveal no allocation: any statistician-like role.
USE_DESIGN = (Permission.DESIGN, Permission.BLINDED_ANALYSIS, Permission.UNBLINDED_REPORTS,
              Permission.BLINDED_EXPORT)
# The analysis report: the statisticians and whoever exports blinded data or locks the database.
READ_REPORT = (Permission.BLINDED_ANALYSIS, Permission.UNBLINDED_REPORTS,
               Permission.BLINDED_EXPORT, Permission.LOCK)
FINAL_UNBLINDING = (Permission.LOCK, Permission.UNBLINDED_REPORTS, Permission.BLINDED_ANALYSIS)


def names(requirement: Requirement) -> tuple[str, ...]:
    """Return the permission names a requirement accepts (empty: any role, or public)."""
    if requirement == PUBLIC:
        return ()
    if isinstance(requirement, str):
        return (str(requirement),)
    return tuple(str(permission) for permission in requirement)



def refuse(actor: object, requirement_names: tuple[str, ...], *, names_a_record: bool,
           record_readers: tuple[str, ...] | None) -> Exception:
    """Return the error for an actor whose role lacks the requirement.

    On a URL that names a record (a participant, a kit, a query) a role that cannot read such
    records at all is told "not found", as for a record it may not see, so that no answer says
    which records exist; a role that reads them, and everyone elsewhere, is told "forbidden",
    naming what is missing. ``record_readers`` None: the URL's parameters name no record.
    """
    readers_only = names_a_record and record_readers is not None
    if readers_only and not actor.can_any(record_readers):  # type: ignore[attr-defined]
        return NotFound("not found")
    wanted = " or ".join(name.replace("_", " ") for name in requirement_names)
    return Forbidden(f"the role {actor.role} may not {wanted}")  # type: ignore[attr-defined]
