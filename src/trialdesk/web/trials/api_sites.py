"""The trial's sites in the JSON API (the administrator's ``manage_sites``), under /api/v1/.

The protocol names the sites; the database stores the ones the server has created. The list shows
both, so an administrator sees a site the protocol added but the server has not stored yet (no user
can be given it until then) and a stored site the protocol no longer names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.core.schemas import Strict
from trialdesk.web.trials.actions import do_sync_sites
from trialdesk.web.trials.actions.sites import do_set_site_status

router = Router(tags=["sites"])


def _status(record: Site | None) -> dict[str, Any]:
    if record is None:
        return {"status": None, "activated_on": None}
    return {"status": record.status,
            "activated_on": record.activated_on.isoformat() if record.activated_on else None}


def sites_view() -> list[dict[str, Any]]:
    """Return every site of the protocol (stored or not), then stored sites it does not name."""
    stored = {site.code: site for site in Site.objects.order_by("code")}
    rows = []
    for site in get_protocol().sites:
        record = stored.pop(site.code, None)
        rows.append({"code": site.code, "name": site.name, "city": site.city,
                     "country": site.country, "in_protocol": True, "stored": record is not None,
                     "stored_name": record.name if record is not None else None,
                     **_status(record)})
    rows += [{"code": code, "name": record.name, "city": None, "country": None,
              "in_protocol": False, "stored": True, "stored_name": record.name, **_status(record)}
             for code, record in stored.items()]
    return rows


@router.get("/sites")
@endpoint(Permission.MANAGE_SITES)
def list_sites(request: HttpRequest) -> list[dict[str, Any]]:
    """The protocol's sites (code, name, city, country) and whether each is stored."""
    return sites_view()


class SyncIn(Strict):
    # true: answer which sites would be created, and store nothing
    dry_run: bool = False


@router.post("/sites/sync")
@endpoint(Permission.MANAGE_SITES)
def sync_sites(request: HttpRequest, body: SyncIn) -> dict[str, Any]:
    """Store the protocol's sites that are not stored yet (one audit record per site created).

    Idempotent: when every site is stored, nothing is written and ``created`` is empty. With
    ``dry_run``, the answer names the sites that would be created and nothing is stored.
    """
    if body.dry_run:
        stored = set(Site.objects.values_list("code", flat=True))
        missing = [site.code for site in get_protocol().sites if site.code not in stored]
        return {"created": [], "would_create": missing, "sites": sites_view()}
    created = do_sync_sites(request_actor(request))
    return {"created": created, "sites": sites_view()}


class StatusIn(Strict):
    status: Literal["planned", "active", "suspended", "closed"]
    reason: str = Field(min_length=1, max_length=2000)
    # the day the site opened (activation only); default today
    activated_on: dt.date | None = None


@router.post("/sites/{code}/status")
@endpoint(Permission.MANAGE_SITES)
def set_site_status(request: HttpRequest, code: str, body: StatusIn) -> dict[str, Any]:
    """Activate, suspend, close or reopen a stored site (audited with the reason).

    Only an active site screens, consents and randomizes; a suspended or closed site still
    follows its patients. An activated site is published on the public registry page (as
    recruiting while active).
    """
    site = do_set_site_status(request_actor(request), code, body.status, reason=body.reason,
                              on=body.activated_on)
    return {"code": site.code, **_status(site)}
