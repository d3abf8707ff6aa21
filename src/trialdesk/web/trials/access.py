"""The one place that decides what a user may reach: site, role and blinding checks.

Each ``access_*`` returns the record or raises :class:`NotFound`, for a record that does not exist
and for one the user may not see alike, so an error never confirms that a record exists.
"""

from __future__ import annotations

from functools import cache

from trialdesk.web.core import sql
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.models import Site
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.trials.kits import kit_holder, typed_kit_code
from trialdesk.web.trials.models import (
    AllocationSlot,
    FinalUnblinding,
    Participant,
    UnblindingEvent,
)


def can_read_participants(actor: Actor) -> bool:
    """Return True if the role reads participant records (the pharmacist does not)."""
    return actor.can_any(READ_PARTICIPANTS)


def visible_participants(actor: Actor):
    """Return the participants the actor may list."""
    if not can_read_participants(actor):
        return Participant.objects.none()
    queryset = Participant.objects.select_related("site")
    if actor.policy.is_site_scoped(actor.role):
        queryset = queryset.filter(site__code=actor.site)
    return queryset


def access_participant_by_code(actor: Actor, code: str) -> Participant:
    """Return the participant (with its site) if the actor may see it; NotFound otherwise.

    The rule of :func:`visible_participants`, for one code in one statement of plain SQL
    (``core.sql``): most API calls name a participant, so every one of them asks this.
    """
    if not can_read_participants(actor):
        raise NotFound(f"no participant {code}")
    site_scoped = actor.policy.is_site_scoped(actor.role)
    row = sql.fetch_one(_participant_sql(site_scoped),
                        (code, actor.site) if site_scoped else (code,))
    if row is None:
        raise NotFound(f"no participant {code}")
    participant, site = sql.instances(row, Participant, Site)
    participant._state.fields_cache["site"] = site
    return participant


@cache
def _participant_sql(site_scoped: bool) -> str:
    p = Participant
    statement = (
        f"SELECT {sql.columns(p, 'p')}, {sql.columns(Site, 's')} "  # noqa: S608
        f"FROM {sql.table(p)} p JOIN {sql.table(Site)} s "
        f"ON s.{sql.column(Site, 'id')} = p.{sql.column(p, 'site')} "
        f"WHERE p.{sql.column(p, 'code')} = %s"
    )
    return statement + (f" AND s.{sql.column(Site, 'code')} = %s" if site_scoped else "")


def may_see_arm(actor: Actor, participant: Participant) -> bool:
    """Return True if the actor may see this participant's arm (the blinding policy decides)."""
    unblinded_for_actor = UnblindingEvent.objects.filter(
        participant=participant, requested_by=actor.user
    ).exists()
    return actor.policy.may_see_arm(
        actor.role,
        viewer_site=actor.site,
        participant_site=participant.site.code,
        emergency_unblinded_for_viewer=unblinded_for_actor,
        trial_unblinded=trial_unblinded_for(actor),
    )


def trial_unblinded_for(actor: Actor) -> bool:
    """Return True if the trial is unblinded and the actor's role sees arms from then on."""
    if actor.policy.role(actor.role).sees_arm != "after_unblinding":
        return False  # no query: the answer cannot change the actor's view
    return FinalUnblinding.trial_unblinded()


def access_kit_by_code(actor: Actor, kit_code: str) -> AllocationSlot:
    """Return an allocated kit the actor may see the arm of (pharmacist: own site only)."""
    slot = (
        AllocationSlot.objects.select_related("randomization__participant__site")
        .filter(kit_code=typed_kit_code(kit_code), used=True)  # look-alikes read as meant
        .first()
    )
    if slot is None:
        raise NotFound(f"no kit {kit_code}")
    if not actor.can("view_kit_arm"):
        raise NotFound(f"no kit {kit_code}")
    # a kit handed out as a replacement (issue 18) has no randomization of its own
    holder = (slot.randomization.participant if hasattr(slot, "randomization")
              else kit_holder(slot))
    if holder is None or not may_see_arm(actor, holder):
        raise NotFound(f"no kit {kit_code}")
    return slot


def visible_kits(actor: Actor):
    """Return the allocated kits whose arm the actor may see (empty for blinded roles)."""
    if not actor.can("view_kit_arm") or not actor.policy.sees_any_arm(actor.role):
        return AllocationSlot.objects.none()
    queryset = AllocationSlot.objects.filter(used=True).select_related(
        "randomization__participant__site", "dispensing"
    )
    if actor.policy.is_site_scoped(actor.role):
        queryset = queryset.filter(randomization__participant__site__code=actor.site)
    return queryset.order_by("sequence")


def sees_every_arm(actor: Actor) -> bool:
    """Return True if the actor may see the arm of every participant (DSMB; analyst once the trial
    is unblinded): only such a role may receive what re-derives all arms, like the seed."""
    info = actor.policy.role(actor.role)
    if info.site_scoped:
        return False
    return info.sees_arm == "all" or trial_unblinded_for(actor)
