"""Times shown in the reader's time zone: the zone of the user's site (the protocol's site list
names it), or for a trial-wide user the sites' zone when they share one, else UTC.

Times are stored in UTC; the API and the exports write ISO 8601 in UTC. Only the pages follow
the reader's clock, with the offset written beside each time so that no one mistakes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone

from trialdesk.web.core.actor import acting_membership
from trialdesk.web.core.protocol import get_protocol

API_PREFIX = "/api/"


# Where an app keeps sites' zones (registered in its AppConfig.ready; core imports no app):
# administration's, as the sponsor's administrator set them. The first that knows a site wins
# over the protocol's zone.
SITE_ZONE_SOURCES: list[Callable[[str], str | None]] = []


def site_zone(site_code: str | None) -> ZoneInfo:
    """The zone of a site as its administrator set it, else the protocol's; for no site, the
    protocol sites' common zone, else UTC."""
    sites = get_protocol().sites
    if site_code is not None:
        for source in SITE_ZONE_SOURCES:
            zone = source(site_code)
            if zone:
                return ZoneInfo(zone)
        for site in sites:
            if site.code.lower() == site_code.lower():
                return ZoneInfo(site.timezone)
    zones = {site.timezone for site in sites}
    return ZoneInfo(zones.pop()) if len(zones) == 1 else ZoneInfo("UTC")


def user_zone(user: object) -> ZoneInfo:
    """The zone of the site of the membership ``user`` acts as (trial-wide: see site_zone)."""
    membership = acting_membership(user)
    site = membership.site if membership is not None else None
    return site_zone(site.code if site is not None else None)


def local_time(moment: dt.datetime, *, seconds: bool = True) -> str:
    """A stored (UTC) time in the active zone, as the active language writes the date, with the
    zone's offset: "03/03/2026 22:30:00 -05:00"."""
    local = timezone.localtime(moment)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    offset = local.strftime("%z")
    return (f"{formats.date_format(local.date(), 'SHORT_DATE_FORMAT')} {clock} "
            f"{offset[:3]}:{offset[3:]}")


class ReaderTimeZoneMiddleware:
    """Activate the signed-in reader's zone for the pages (not the API: it answers in UTC, and
    a bearer-token request is on the randomization's hot path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) or not request.user.is_authenticated:
            return self.get_response(request)
        with timezone.override(user_zone(request.user)):
            return self.get_response(request)
