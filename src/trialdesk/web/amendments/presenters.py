"""The amendment log as the API and the pages show it: versions, their changes and approvals.

Nothing here depends on an arm: a protocol version is the same text for every reader, and the
diff's confidential randomization values are masked by the core (``protocol.amendment``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialdesk.protocol.amendment import CATEGORIES
from trialdesk.web.amendments.models import ProtocolVersion
from trialdesk.web.amendments.versions import version_in_force
from trialdesk.web.core.models import Site


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def approvals_view(version: ProtocolVersion) -> list[dict[str, Any]]:
    """Return each site's approval of ``version`` (site order), unapproved sites included."""
    approved = {a.site.code: a for a in version.approvals.select_related("site", "recorded_by")}
    rows = []
    for code in Site.objects.order_by("code").values_list("code", flat=True):
        approval = approved.get(code)
        rows.append({
            "site": code,
            "approval_date": _iso(approval.approval_date) if approval else None,
            "recorded_by": approval.recorded_by.get_username() if approval else None,
            "recorded_at": _iso(approval.recorded_at) if approval else None,
            "in_force": version_in_force(code) == version.number,
        })
    return rows


def version_summary(version: ProtocolVersion) -> dict[str, Any]:
    """Return one version as the list shows it."""
    counts: dict[str, int] = {}
    for change in version.changes:
        counts[change["category"]] = counts.get(change["category"], 0) + 1
    return {
        "number": version.number, "effective_date": _iso(version.effective_date),
        "reason": version.reason, "sha256": version.sha256,
        "recorded_at": _iso(version.recorded_at),
        "recorded_by": version.recorded_by.get_username() if version.recorded_by else None,
        "change_counts": counts,
    }


def grouped_changes(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the changes grouped by category, in the categories' order."""
    return [{"category": category, "changes": [c for c in changes if c["category"] == category]}
            for category in CATEGORIES if any(c["category"] == category for c in changes)]


def version_view(version: ProtocolVersion) -> dict[str, Any]:
    """Return one version with its classified changes and each site's approval."""
    return {**version_summary(version), "changes": version.changes,
            "approvals": approvals_view(version)}
