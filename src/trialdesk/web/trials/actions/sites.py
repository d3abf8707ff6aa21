"""A site's recruiting status: planned until the sponsor activates it, then active, then closed.

The public registry page lists a site only once it is activated, with its status; a placeholder
site the protocol names but that never opened is never published as recruiting.
"""

from __future__ import annotations

import datetime as dt

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Site

# status -> the statuses it may change to (a closed site may reopen)
TRANSITIONS = {
    Site.PLANNED: (Site.ACTIVE, Site.CLOSED),
    Site.ACTIVE: (Site.CLOSED,),
    Site.CLOSED: (Site.ACTIVE,),
}


@action("manage_sites")
def do_set_site_status(actor: Actor, code: str, status: str, *, reason: str,
                       on: dt.date | None = None) -> Site:
    """Change site ``code``'s status (``on``: the activation date, default today); audited.

    Refused: an unknown status or an empty reason (InvalidInput), a change the transitions do
    not allow or an activation date in the future (Conflict / InvalidInput).
    """
    if status not in TRANSITIONS:
        raise InvalidInput("status", f"must be one of {', '.join(TRANSITIONS)}")
    if not reason.strip():
        raise InvalidInput("reason", "must say why the site's status changes")
    site = Site.objects.select_for_update().filter(code=code).first()
    if site is None:
        raise NotFound(f"no site {code}")
    if status not in TRANSITIONS[site.status]:
        raise Conflict("site_status", f"site {code} is {site.status}: it cannot become {status}")
    changes = {"status": {"old": site.status, "new": status}}
    if status == Site.ACTIVE:
        day = on or clock.today()
        if day > clock.today():
            raise InvalidInput("activated_on", "must not be after today")
        changes["activated_on"] = {"old": site.activated_on.isoformat()
                                   if site.activated_on else None, "new": day.isoformat()}
        site.activated_on = day
    site.status = status
    site.save(update_fields=["status", "activated_on"])
    append_audit(actor=actor.username, action="set_site_status", model="site", object_id=code,
                 changes=changes, reason=reason.strip())
    return site
