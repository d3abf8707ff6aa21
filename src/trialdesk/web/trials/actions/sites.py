"""A site's recruiting status: planned until the sponsor activates it, then active, suspended
for a while or closed (``trialdesk.site_status``: what each allows and the changes between them).

The public registry page lists a site only once it is activated, with its status; a placeholder
site the protocol names but that never opened is never published as recruiting.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

from trialdesk.site_status import SiteStatus, may_become
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Site


@action("manage_sites")
def do_set_site_status(actor: Actor, code: str, status: str, *, reason: str,
                       on: dt.date | None = None) -> Site:
    """Change site ``code``'s status (``on``: the activation date, default today); audited.

    A suspension lifted keeps the day the site opened. Refused: an unknown status or an empty
    reason (InvalidInput), a change the transitions do not allow (Conflict), an activation date
    in the future or given when a suspension is lifted (InvalidInput).
    """
    if status not in set(SiteStatus):
        raise InvalidInput("status", f"must be one of {', '.join(SiteStatus)}")
    if not reason.strip():
        raise InvalidInput("reason", gettext_noop("must say why the site's status changes"))
    site = Site.objects.select_for_update().filter(code=code).first()
    if site is None:
        raise NotFound(f"no site {code}")
    if not may_become(site.status, status):
        raise Conflict("site_status", f"site {code} is {site.status}: it cannot become {status}")
    changes = {"status": {"old": site.status, "new": status}}
    resumed = site.status == Site.SUSPENDED and status == Site.ACTIVE
    if resumed and on is not None:
        raise InvalidInput("activated_on", "must be left out when a suspension is lifted: the "
                                           "site keeps the day it opened")
    if status == Site.ACTIVE and not resumed:
        day = on or clock.today()
        if day > clock.today():
            raise InvalidInput("activated_on", gettext_noop("must not be after today"))
        changes["activated_on"] = {"old": site.activated_on.isoformat()
                                   if site.activated_on else None, "new": day.isoformat()}
        site.activated_on = day
    site.status = status
    site.save(update_fields=["status", "activated_on"])
    append_audit(actor=actor.username, action="set_site_status", model="site", object_id=code,
                 changes=changes, reason=reason.strip())
    return site
