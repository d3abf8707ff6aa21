"""Randomization in one locked transaction: the next free slot of the participant's stratum, or
a dynamic procedure's allocation with a kit drawn from the site's stock."""

from __future__ import annotations

from dataclasses import dataclass

from trialdesk.site_status import Activity
from trialdesk.web.amendments.consent import consent_rules_for_site
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.sql import insert
from trialdesk.web.trials.actions.dynamic import allocate_dynamic
from trialdesk.web.trials.actions.slots import (
    RandomizationState,
    TakenSlot,
    mark_used,
    read_state,
    take_next_slot,
)
from trialdesk.web.trials.models import (
    AllocationListRecord,
    Participant,
    Randomization,
    RestrictedAllocationLog,
    ScreeningRecord,
)
from trialdesk.web.trials.site_rules import refuse_unless_site_allows


@dataclass(frozen=True)
class RandomizationResult:
    """What the randomizing user learns: never the arm."""

    participant: str
    randomization_number: str
    kit_code: str
    randomized_at: str
    repeated: bool = False


def _result(randomization: Randomization, *, repeated: bool) -> RandomizationResult:
    return RandomizationResult(
        participant=randomization.participant.code,
        randomization_number=randomization.number,
        kit_code=randomization.slot.kit_code,
        randomized_at=randomization.randomized_at.isoformat(),
        repeated=repeated,
    )


@action("randomize", refuse_when_locked=True)
def do_randomize(
    actor: Actor, participant: Participant, *, idempotency_key: str | None = None
) -> RandomizationResult:
    """Allocate the next free slot of the participant's stratum, or run the dynamic procedure
    (minimization) and draw a kit of its arm; return number and kit code.

    A retry with the same ``idempotency_key`` returns the first result instead of allocating
    again. Raises Conflict (with a reason code) for an ineligible, unconsented or already
    randomized participant and when the stratum's list is used up; SiteNotActive (nothing
    written) when the participant's site is not active, though a retry of a randomization made
    before the site closed still returns its result.

    Every check reads inside the write transaction, which holds the one write lock (SQLite's
    from BEGIN IMMEDIATE, PostgreSQL's advisory lock, ``core.audit.lock_writes``): no other
    writer runs between a check and the allocation, so no row lock is needed. A list
    randomization is five statements in plain SQL (``slots.py``, ``core.sql``) besides the
    database lock check and the audit record's three: tests/web/test_web_randomize_statements.py
    pins the count.
    """
    if idempotency_key is not None and not 8 <= len(idempotency_key) <= 100:
        raise InvalidInput("idempotency_key", "must be 8 to 100 characters")
    state = read_state(participant.pk, idempotency_key or None)
    if state.earlier_participant_id is not None:
        if state.earlier_participant_id != participant.pk:
            raise Conflict("idempotency_key_reused",
                           "this idempotency key was used for another participant")
        # a repeat is rare: read the first result with its participant and slot only now
        earlier = Randomization.objects.select_related("participant", "slot").get(
            idempotency_key=idempotency_key)
        return _result(earlier, repeated=True)
    refuse_unless_site_allows(state.site, state.site_status, Activity.RANDOMIZE)
    if state.randomized:
        raise Conflict("already_randomized", f"{participant.code} is already randomized")
    if not state.eligible:
        raise Conflict("ineligible", f"{participant.code} is not eligible: "
                       + "; ".join(state.reasons()))
    _refuse_without_valid_consent(participant, state)
    if state.list_id is None:
        raise Conflict("no_allocation_list", "no allocation list is loaded")
    if state.dynamic:
        slot = _allocate_dynamic(state.list_id, participant)
    else:
        slot = take_next_slot(state.stratum)
    now = clock.now()
    randomization = insert(Randomization, participant_id=participant.pk, slot_id=slot.id,
                           idempotency_key=idempotency_key or None, randomized_at=now,
                           randomized_by_id=actor.user.pk)
    append_audit(
        actor=actor.username, action="randomize", model="participant", object_id=participant.code,
        changes={"randomization_number": {"old": None, "new": randomization.number},
                 "kit_code": {"old": None, "new": slot.kit_code}},
    )
    insert(RestrictedAllocationLog, at=now, actor=actor.username,
           participant_code=participant.code, sequence=slot.sequence, stratum=slot.stratum,
           arm=slot.arm, kit_code=slot.kit_code)
    return RandomizationResult(
        participant=participant.code, randomization_number=randomization.number,
        kit_code=slot.kit_code, randomized_at=now.isoformat(), repeated=False,
    )


def _refuse_without_valid_consent(participant: Participant, state: RandomizationState) -> None:
    """Randomize only with a consent on the version current at the participant's site today
    (a representative's counts), neither refused on regaining capacity nor withdrawn."""
    if not state.consented:
        raise Conflict("unconsented", f"consent: {participant.code} has no recorded consent")
    if state.consent_withdrawn:
        raise Conflict("consent_withdrawn", f"consent: {participant.code} refused or withdrew "
                                            "consent; a participant who did is not randomized")
    site = participant.site.code
    # the rules in force at the site: an approved amendment may have added a version (issue 17)
    rules = consent_rules_for_site(site)
    if rules is None:
        return
    current = rules.current_version(site, clock.today())
    if current is None:
        raise Conflict("consent_version", f"consent: no consent version is approved at site "
                                          f"{site} today")
    if state.consent_version != current.version:
        raise Conflict("consent_version", f"consent: {participant.code} signed version "
                                          f"{state.consent_version}; the version in force at "
                                          f"site {site} is {current.version} (re-consent first)")


def _allocate_dynamic(list_id: int, participant: Participant) -> TakenSlot:
    """Minimization: the procedure over everyone allocated before, then a kit of its arm."""
    scheme = AllocationListRecord.objects.get(pk=list_id)
    screening = ScreeningRecord.objects.get(participant=participant)
    kit = allocate_dynamic(scheme, participant, screening)
    mark_used(kit.pk)
    return TakenSlot(kit.pk, kit.sequence, kit.stratum, kit.arm, kit.kit_code)
