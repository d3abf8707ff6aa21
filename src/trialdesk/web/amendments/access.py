"""Who reads and who writes the amendment log.

The protocol's versions are read by everyone who works with participants' data (site staff see
which version their site is under) and by the administrator; amendments and site approvals are
recorded by a role with ``manage_protocol`` (the administrator in the bundled protocol).
"""

from __future__ import annotations

from trialdesk.blinding import Permission
from trialdesk.web.amendments.models import ProtocolVersion
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.models import Site

MANAGE = Permission.MANAGE_PROTOCOL
READ_AMENDMENTS = (Permission.MANAGE_PROTOCOL, Permission.READ, Permission.SCREEN,
                   Permission.VERIFY_SOURCE)
READERS = tuple(str(p) for p in READ_AMENDMENTS)


def access_version(number: int) -> ProtocolVersion:
    """Return the recorded version ``number`` (NotFound if there is none)."""
    version = ProtocolVersion.objects.select_related("recorded_by").filter(number=number).first()
    if version is None:
        raise NotFound(f"no protocol version {number}")
    return version


def site_by_code(code: str) -> Site:
    """Return the site ``code`` (NotFound if there is none)."""
    site = Site.objects.filter(code=code).first()
    if site is None:
        raise NotFound(f"no site {code}")
    return site
