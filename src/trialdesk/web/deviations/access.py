"""What a user may reach in the deviation log: site staff their own site's deviations, trial-wide
roles every site's; NotFound alike for a deviation that does not exist and one the user may not
see. And who reads a deviation's unblinding details: the roles the blinding policy lets see the
arm of its participant (of its site, for a site-level deviation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from trialdesk.blinding import Permission
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Forbidden, NotFound
from trialdesk.web.core.models import Site
from trialdesk.web.deviations.models import Deviation
from trialdesk.web.safety.clocks import local
from trialdesk.web.trials.access import trial_unblinded_for
from trialdesk.web.trials.models import UnblindingEvent

REPORT = Permission.REPORT_DEVIATIONS
# who reads the log: those who report deviations, and every role that reads the trial's records
READ_DEVIATIONS = (Permission.REPORT_DEVIATIONS, Permission.READ)


def visible_deviations(actor: Actor):
    """The deviations the actor may list (a site role: its own site's only)."""
    if not actor.can_any(tuple(str(p) for p in READ_DEVIATIONS)):
        return Deviation.objects.none()
    deviations = Deviation.objects.select_related(
        "site", "participant", "discovered_by", "capa_owner", "closed_by")
    if actor.policy.is_site_scoped(actor.role):
        deviations = deviations.filter(site__code=actor.site)
    return deviations


def access_deviation(actor: Actor, deviation_id: int) -> Deviation:
    """Return the deviation if the actor may see it."""
    deviation = visible_deviations(actor).filter(pk=deviation_id).first()
    if deviation is None:
        raise NotFound(f"no deviation {deviation_id}")
    return deviation


def reporting_site(actor: Actor, site_code: str | None) -> Site:
    """The site a new deviation is reported at: a site role reports at its own site only."""
    if actor.policy.is_site_scoped(actor.role):
        if site_code not in (None, "", actor.site):
            raise Forbidden(f"the role {actor.role} reports deviations at {actor.site} only")
        site_code = actor.site
    site = Site.objects.filter(code=site_code or "").first()
    if site is None:
        raise NotFound(f"no site {site_code}")
    return site


def may_close(actor: Actor) -> bool:
    """Closing is the trial-wide side's (monitor, data manager): it confirms the site's CAPA."""
    return actor.can(REPORT) and not actor.policy.is_site_scoped(actor.role)


def details_reader(actor: Actor) -> Callable[[Deviation], bool]:
    """Whether the actor may read what a deviation says about an arm, for many deviations: the
    blinding policy's rule for the deviation's participant (an emergency unblinding the actor
    requested included), or for its site when it has none; the actor's facts are read once."""
    unblinded = set(UnblindingEvent.objects.filter(requested_by=actor.user)
                    .values_list("participant_id", flat=True))
    trial_unblinded = trial_unblinded_for(actor)

    def sees(deviation: Deviation) -> bool:
        return actor.policy.may_see_arm(
            actor.role, viewer_site=actor.site, participant_site=deviation.site.code,
            emergency_unblinded_for_viewer=(deviation.participant_id is not None
                                            and deviation.participant_id in unblinded),
            trial_unblinded=trial_unblinded)

    return sees


def sees_unblinding_details(actor: Actor, deviation: Deviation) -> bool:
    """True if the actor may read what the deviation says about an arm."""
    return details_reader(actor)(deviation)


def site_today(site_code: str) -> dt.date:
    """Today in the site's calendar (the protocol's time zone of the site)."""
    return local(clock.now(), site_code).date()
