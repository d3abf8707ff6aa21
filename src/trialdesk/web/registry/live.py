"""Live figures of the running trial for its public record: never anything about arms.

The trial server's models are read through the app registry, so this page works (showing no live
figures) on a registry-only deployment or before the server's tables exist. What may be shown is
listed here and nowhere else: the number randomized, the target, each site's recruiting status, the
allocation list's commitment hash, and the audit trail's head (the newest record's number, hash and
time: a copy kept by any reader shows a later rollback of the database). Counts per arm,
allocations, kit codes, the list's salt and the audit records themselves are never read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError

from trialdesk.protocol import Protocol, load_protocol
from trialdesk.web.core.audit import current_head


@dataclass(frozen=True)
class SiteStatus:
    code: str
    name: str
    city: str
    country: str
    recruiting: bool


@dataclass(frozen=True)
class AuditHead:
    """The newest audit record's number, hash and time: hashes only, nothing about anyone."""

    seq: int
    hash: str
    at: dt.datetime

    @property
    def text(self) -> str:
        """The form ``trialdesk audit verify --expect-head`` reads."""
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class LiveFigures:
    enrolled: int
    target: int
    sites: list[SiteStatus]
    commitment: str | None
    committed_at: dt.datetime | None
    audit_head: AuditHead | None = None

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.enrolled / self.target)) if self.target else 0


def running_protocol() -> Protocol:
    """Return the protocol this server runs (``TRIALDESK_PROTOCOL``, default the bundled one)."""
    path = getattr(settings, "TRIALDESK_PROTOCOL", None)
    return load_protocol(path) if path else load_protocol()


def _model(name: str, app: str = "trials"):
    try:
        return apps.get_model(app, name)
    except LookupError:
        return None


def live_figures(nct_id: str) -> LiveFigures | None:
    """Return the live figures when ``nct_id`` is the trial this server runs, else None."""
    protocol = running_protocol()
    if protocol.registry.nct_id != nct_id:
        return None
    randomization, site, allocation_list = (
        _model("Randomization"), _model("Site", "core"), _model("AllocationListRecord"),
    )
    if randomization is None:
        return None
    try:
        enrolled = randomization.objects.count()
        open_sites = (set(site.objects.values_list("code", flat=True)) if site is not None
                      else set())
        latest = (allocation_list.objects.order_by("-created_at")
                  .values("commitment", "created_at").first()
                  if allocation_list is not None else None)
        head = current_head()
    except DatabaseError:  # the server's tables are not migrated yet
        return None
    recruiting = protocol.registry.overall_status == "RECRUITING"
    return LiveFigures(
        enrolled=enrolled,
        target=protocol.design.target_enrollment,
        sites=[SiteStatus(s.code, s.name, s.city, s.country, recruiting and s.code in open_sites)
               for s in protocol.sites],
        commitment=latest["commitment"] if latest else None,
        committed_at=latest["created_at"] if latest else None,
        audit_head=AuditHead(head["seq"], head["hash"], head["at"]) if head else None,
    )
