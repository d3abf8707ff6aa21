"""The recorded protocol versions as the exports read them (issue 17): every version an entry may
have been captured under, and from when each holds at each site (ODM's MetaDataVersionRef).

Before any amendment nothing is recorded and the running protocol is version 1.
"""

from __future__ import annotations

import datetime as dt

from trialdesk.standards.protocol_versions import ProtocolVersion, VersionedForms, versioned_forms
from trialdesk.web.amendments.models import ProtocolVersion as VersionRow
from trialdesk.web.amendments.models import SiteApproval
from trialdesk.web.amendments.versions import FIRST, protocol_version

SPONSOR = ""  # the sponsor's location in ``in_force_from``: every version from its effective date


def recorded_versions() -> list[ProtocolVersion]:
    """Every recorded version, oldest first (version 1 alone before any amendment)."""
    numbers = sorted({FIRST, *VersionRow.objects.values_list("number", flat=True)})
    return [ProtocolVersion(number, protocol_version(number)) for number in numbers]


def recorded_forms() -> VersionedForms:
    """The forms and fields of every recorded version together."""
    return versioned_forms(recorded_versions())


def in_force_from() -> dict[str, dict[int, dt.date]]:
    """Site code -> {version number: the date it holds there from}, for the versions after the
    first: the later of the site's ethics approval and the version's effective date. The sponsor
    (``SPONSOR``) has each version from its effective date."""
    found: dict[str, dict[int, dt.date]] = {
        SPONSOR: dict(VersionRow.objects.exclude(number=FIRST).values_list(
            "number", "effective_date"))}
    for site, number, approved, effective in SiteApproval.objects.exclude(
            version__number=FIRST).values_list("site__code", "version__number", "approval_date",
                                               "version__effective_date"):
        found.setdefault(site, {})[number] = max(approved, effective)
    return found
