"""Who acts in a simulated trial: the demo users, found by what their roles may do."""

from __future__ import annotations

from dataclasses import dataclass

from trialdesk.web.core.actor import Actor, actor_as
from trialdesk.web.core.models import Membership


@dataclass(frozen=True)
class SiteTeam:
    investigator: Actor  # screens, randomizes, signs
    coordinator: Actor  # enters forms, answers queries
    pharmacist: Actor | None  # dispenses


@dataclass(frozen=True)
class Cast:
    sites: dict[str, SiteTeam]
    data_manager: Actor  # raises and closes queries, locks, asks for the final unblinding
    approver: Actor  # approves the final unblinding (sees arms already)
    analyst: Actor  # reads the analysis report (blinded until the final unblinding)
    passwords: dict[str, str]
    sponsor: Actor | None = None  # answers the DSMB's recommendations
    principal_investigator: Actor | None = None  # confirms a lock despite outstanding items
    monitor: Actor | None = None  # verifies source data at the monitoring visits (blinded)
    site_admin: Actor | None = None  # activates each site when it opens (the public registry)


def _first(actors: list[Actor], *permissions: str, without: str | None = None) -> Actor | None:
    for actor in actors:
        if all(actor.can(p) for p in permissions) and not (without and actor.can(without)):
            return actor
    return None


def find_cast(passwords: dict[str, str]) -> Cast:
    """One team per site and the trial-wide roles, by permission (not by role name)."""
    memberships = (Membership.objects.select_related("user", "site").filter(active=True)
                   .order_by("user__username", "pk"))
    actors = [actor_as(m) for m in memberships if m.user.is_active]
    by_site: dict[str, list[Actor]] = {}
    for actor in actors:
        if actor.site:
            by_site.setdefault(actor.site, []).append(actor)
    teams = {}
    for site, people in sorted(by_site.items()):
        investigator = _first(people, "randomize", "sign_forms")
        coordinator = _first(people, "enter_forms", "answer_queries", without="sign_forms")
        if investigator is None:
            continue
        teams[site] = SiteTeam(investigator, coordinator or investigator,
                               _first(people, "record_dispensing"))
    trial_wide = [actor for actor in actors if not actor.site]
    data_manager = _first(trial_wide, "lock", "raise_queries", "close_queries")
    approver = _first(trial_wide, "unblinded_reports")
    analyst = _first(trial_wide, "blinded_analysis", without="unblinded_reports")
    if not teams or data_manager is None or approver is None or analyst is None:
        raise RuntimeError("the demo users are incomplete: no site team, data manager, DSMB or "
                           "analyst")
    return Cast(teams, data_manager, approver, analyst, passwords,
                _first(trial_wide, "respond_recommendation"),
                _first(trial_wide, "confirm_lock_override"),
                monitor=_first(trial_wide, "verify_source", "raise_queries", without="lock"),
                site_admin=_first(trial_wide, "manage_sites"))
