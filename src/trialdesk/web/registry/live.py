"""Live figures of the running trial for its public record: never anything about arms.

The trial server's models are read through the app registry, so this page works (showing no live
figures) on a registry-only deployment or before the server's tables exist. What may be shown is
listed here and nowhere else: the number randomized, the target, each activated site's status, the
allocation list's commitment hash, and the audit trail's head (the number and hash of the newest
record written before today, UTC, with its day: a copy kept by any reader shows a later rollback of
the database). Counts per arm, allocations, kit codes, the list's salt and the audit records
themselves are never read.

Why the head of the day before and not the newest record: a reader polling the page would see the
number move at the minute of every record, a dispensing included, and the blinded audit trail
(``trials.audit_trail``) leaves out exactly those minutes, because the pharmacy's timings sort
participants by arm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError

from trialdesk.protocol import Protocol, load_protocol
from trialdesk.web.core import clock


@dataclass(frozen=True)
class SiteStatus:
    code: str
    name: str
    city: str
    country: str
    recruiting: bool
    status: str = "active"  # the stored site's status: active, suspended or closed (never planned)
    activated_on: dt.date | None = None


@dataclass(frozen=True)
class AuditHead:
    """The number and hash of the newest audit record before today, and its day: nothing about
    anyone, and no time of day."""

    seq: int
    hash: str
    day: dt.date

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


def published_head() -> dict | None:
    """Return ``seq``, ``hash`` and ``at`` of the newest audit record written before today (UTC),
    or None while there is none."""
    record = _model("AuditRecord", "core")
    if record is None:
        return None
    today = dt.datetime.combine(clock.now().astimezone(dt.UTC).date(), dt.time(), tzinfo=dt.UTC)
    return (record.objects.filter(at__lt=today).order_by("-seq")
            .values("seq", "hash", "at").first())


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
        # a site is published once activated: a planned (or placeholder) site never is
        published = ({row["code"]: row for row in site.objects.exclude(status="planned")
                      .values("code", "status", "activated_on")} if site is not None else {})
        latest = (allocation_list.objects.order_by("-created_at")
                  .values("commitment", "created_at").first()
                  if allocation_list is not None else None)
        head = published_head()
    except DatabaseError:  # the server's tables are not migrated yet
        return None
    recruiting = protocol.registry.overall_status == "RECRUITING"
    return LiveFigures(
        enrolled=enrolled,
        target=protocol.design.target_enrollment,
        sites=[SiteStatus(s.code, s.name, s.city, s.country,
                          recruiting and published[s.code]["status"] == "active",
                          published[s.code]["status"], published[s.code]["activated_on"])
               for s in protocol.sites if s.code in published],
        commitment=latest["commitment"] if latest else None,
        committed_at=latest["created_at"] if latest else None,
        audit_head=(AuditHead(head["seq"], head["hash"], head["at"].astimezone(dt.UTC).date())
                    if head else None),
    )
