"""Screening: every screened patient is logged, eligible or not (consent: ``consent.py``)."""

from __future__ import annotations

from typing import Any

from trialdesk.eligibility import NoStratum, evaluate_eligibility, stratum_for
from trialdesk.protocol import Protocol
from trialdesk.randomization import protocol_factors, stratum_key
from trialdesk.site_status import Activity
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import Participant, ScreeningRecord
from trialdesk.web.trials.screening_fields import clean_screening_values
from trialdesk.web.trials.screening_version import screening_protocol, site_version
from trialdesk.web.trials.site_rules import refuse_unless_site_allows


def _evaluate(protocol: Protocol, site_code: str, values: dict[str, Any]) -> tuple[Any, str]:
    """Eligibility and stratum of ``values`` under ``protocol`` (the screening's version)."""
    result = evaluate_eligibility(protocol, values, language="en")
    if not result.eligible:
        return result, ""
    try:
        levels = stratum_for(protocol, site_code, values)
    except NoStratum as error:
        raise InvalidInput("values", str(error)) from None
    return result, stratum_key(protocol_factors(protocol), levels)


def _criteria(result: Any) -> list[dict[str, Any]]:
    return [
        {"code": c.code, "kind": c.kind, "status": c.status,
         "missing_fields": list(c.missing_fields)}
        for c in result.criteria
    ]


def _earlier_screening(key: str, site: Site, cleaned: dict[str, Any]) -> Participant | None:
    """The participant screened with idempotency key ``key``, if any; a key reused at another
    site or with other values is a Conflict (a client's bug must not return another patient)."""
    earlier = (ScreeningRecord.objects.select_related("participant__site")
               .filter(idempotency_key=key).first())
    if earlier is None:
        return None
    if earlier.participant.site_id != site.pk or earlier.values != cleaned:
        raise Conflict("idempotency_key_reused",
                       "this idempotency key was used for another screening")
    participant = earlier.participant
    participant.repeated = True  # type: ignore[attr-defined]
    return participant


@action("screen", refuse_when_locked=True)
def do_screen(
    actor: Actor, *, values: dict[str, Any], site_code: str | None = None,
    idempotency_key: str | None = None,
) -> Participant:
    """Record a screening with each criterion's result; return the new participant.

    A site role screens at its own site; ``site_code`` is needed only for roles without one.
    A retry with the same ``idempotency_key`` (same site, same values) returns the participant
    of the first screening, with ``repeated`` set, and records nothing. Eligibility and stratum
    are evaluated under the protocol version in force at the site now; the record keeps its
    number (issue 17). Refused (SiteNotActive, nothing stored) at a site that is not active;
    a retry of a screening recorded before the site closed still returns its participant.
    """
    if idempotency_key is not None and not 8 <= len(idempotency_key) <= 100:
        raise InvalidInput("idempotency_key", "must be 8 to 100 characters")
    if actor.policy.is_site_scoped(actor.role):
        if site_code not in (None, actor.site):
            raise NotFound(f"no site {site_code}")
        site_code = actor.site
    if not site_code:
        raise InvalidInput("site", "is required for a role without a site")
    # row-locked as a status change locks it: its status holds until this screening commits
    site = Site.objects.select_for_update().filter(code=site_code).first()
    if site is None:
        raise NotFound(f"no site {site_code}")
    version, protocol = site_version(site.code)
    cleaned = clean_screening_values(protocol, values)
    if idempotency_key:
        # writers take turns (@action), so no other screening with this key can commit meanwhile
        earlier = _earlier_screening(idempotency_key, site, cleaned)
        if earlier is not None:
            return earlier
    refuse_unless_site_allows(site.code, site.status, Activity.SCREEN)
    result, stratum = _evaluate(protocol, site.code, cleaned)
    now = clock.now()
    number = Participant.objects.filter(site=site).count() + 1
    participant = Participant.objects.create(
        code=f"{site.code}-{number:04d}", site=site, eligible=result.eligible,
        created_at=now, created_by=actor.user,
    )
    ScreeningRecord.objects.create(
        participant=participant, values=cleaned, criteria=_criteria(result), reasons=result.reasons,
        eligible=result.eligible, stratum=stratum, screened_at=now, screened_by=actor.user,
        idempotency_key=idempotency_key or None, protocol_version=version,
    )
    append_audit(
        actor=actor.username, action="screen", model="participant", object_id=participant.code,
        changes={"values": {"old": None, "new": cleaned},
                 "eligible": {"old": None, "new": result.eligible}},
    )
    return participant


@action("screen", refuse_when_locked=True)
def do_correct_screening(
    actor: Actor, participant: Participant, *, values: dict[str, Any], reason: str
) -> ScreeningRecord:
    """Correct screening values after their first save; a reason is required and audited.

    Eligibility and stratum are re-evaluated under the protocol version the screening was
    evaluated under (its record's), whatever is in force now. After randomization a correction
    may not change either: the allocation stands, so such a change is a protocol deviation to
    report, not an edit.
    """
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", "must say why the data change, in at least 10 characters")
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    record = ScreeningRecord.objects.get(participant=participant)
    protocol = screening_protocol(record)
    cleaned = clean_screening_values(protocol, values)
    if not cleaned:
        raise InvalidInput("values", "must change at least one value")
    new_values = {**record.values, **cleaned}
    result, stratum = _evaluate(protocol, participant.site.code, new_values)
    if hasattr(participant, "randomization") and (
        not result.eligible or stratum != record.stratum
    ):
        raise Conflict("randomized_stratum_change",
                       f"{participant.code} is randomized; this correction would change its "
                       "eligibility or stratum: report a protocol deviation instead")
    changes = {
        name: {"old": record.values.get(name), "new": value}
        for name, value in cleaned.items() if record.values.get(name) != value
    }
    if not changes:
        # nothing would change: an audit record of no change would only blur the trail
        raise InvalidInput("values", "must change at least one value")
    if record.eligible != result.eligible:
        changes["eligible"] = {"old": record.eligible, "new": result.eligible}
    if record.stratum != stratum:  # the stratum decides which list randomizes the participant
        changes["stratum"] = {"old": record.stratum, "new": stratum}
    record.values, record.criteria, record.reasons = new_values, _criteria(result), result.reasons
    record.eligible, record.stratum = result.eligible, stratum
    record.save(update_fields=["values", "criteria", "reasons", "eligible", "stratum"])
    participant.eligible = result.eligible
    participant.save(update_fields=["eligible"])
    append_audit(actor=actor.username, action="correct_screening", model="participant",
                 object_id=participant.code, changes=changes, reason=reason)
    return record
