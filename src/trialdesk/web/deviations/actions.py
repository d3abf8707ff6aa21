"""The only writers of the deviation log: each ``do_*`` is one transaction with its audit record.

Deviations stay writable after the database lock: they are the trial's quality record, not its
clinical data, and a lock review is where many are found (the clinical study report lists them).

Unblinding details never reach the audit trail as text (blinded monitors read the trail): the
record names the note's version and its salted digest, which binds the text kept in
``UnblindingNote`` without revealing it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from trialdesk import deviations as rules
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput
from trialdesk.web.core.models import Site
from trialdesk.web.deviations import access, values
from trialdesk.web.deviations.models import Deviation, UnblindingNote
from trialdesk.web.trials.models import Participant

REPORT = access.REPORT


def _stored(deviation: Deviation) -> dict[str, Any]:
    return {name: getattr(deviation, name) for name in values.EDITABLE}


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"old": values.as_json(old.get(name)), "new": values.as_json(new[name])}
            for name in new if old.get(name) != new[name]}


def facts(deviation: Deviation) -> rules.DeviationFacts:
    return rules.DeviationFacts(
        severity=deviation.severity, corrective_action=deviation.corrective_action,
        preventive_action=deviation.preventive_action,
        capa_completed_on=deviation.capa_completed_on,
        ethics_reported_on=deviation.ethics_reported_on)


def _derive(deviation: Deviation) -> None:
    """Status and ethics due date follow from the values (a closed deviation stays closed)."""
    deviation.status = rules.status_of(facts(deviation),
                                       closed=deviation.status == rules.CLOSED)
    deviation.ethics_due_on = rules.ethics_due_date(
        deviation.severity, deviation.discovered_on, values.deviation_rules().ethics_report_days)


def _write_note(actor: Actor, deviation: Deviation, text: str, *,
                force: bool = False) -> dict[str, Any] | None:
    """Add a version of the unblinding details if ``text`` differs (or ``force``); return its
    audit change."""
    last = deviation.notes.order_by("-seq").first()
    if (last.text if last else "") == text and not force:
        return None
    salt = secrets.token_hex(16)
    note = UnblindingNote.objects.create(
        deviation=deviation, seq=(last.seq + 1) if last else 1, text=text, salt=salt,
        digest=hashlib.sha256(f"{salt}:{text}".encode()).hexdigest(), at=clock.now(),
        by=actor.user)
    deviation.has_unblinding_details = bool(text)

    def label(found: UnblindingNote | None) -> str | None:
        if found is None:
            return None
        if not found.text:
            return f"note {found.seq} (cleared)"
        return f"note {found.seq} sha256:{found.digest}"

    return {"old": label(last), "new": label(note)}


def _check_site(actor: Actor, site: Site, participant: Participant | None) -> None:
    # the pages and the API resolve the site through access.reporting_site; a direct caller may not
    if actor.policy.is_site_scoped(actor.role) and actor.site != site.code:
        raise Forbidden(f"the role {actor.role} reports deviations at {actor.site} only")
    if participant is not None and participant.site_id != site.pk:
        raise InvalidInput("participant", f"must be a participant of {site.code}")


@action(REPORT)
def do_report_deviation(actor: Actor, site: Site, participant: Participant | None, *,
                        values_in: Mapping[str, Any], unblinding_details: str = "") -> Deviation:
    """Report a deviation at ``site`` (of ``participant``, or site-level when None).

    Discovered today by the reporter unless the values say otherwise; a major one has its ethics
    committee report due ``ethics_report_days`` after discovery.
    """
    _check_site(actor, site, participant)
    cleaned = values.clean(values_in, site=site, today=access.site_today(site.code))
    details = values.unblinding_details(unblinding_details, cleaned["category"])
    cleaned["discovered_by"] = cleaned["discovered_by"] or actor.user
    now = clock.now()
    deviation = Deviation(site=site, participant=participant, **cleaned, created_at=now,
                          created_by=actor.user, updated_at=now, updated_by=actor.user)
    _derive(deviation)
    deviation.save()
    changes = {"site": {"old": None, "new": site.code},
               "participant": {"old": None, "new": participant.code if participant else None},
               **_changes({}, {k: v for k, v in cleaned.items() if v not in (None, "")}),
               "status": {"old": None, "new": deviation.status}}
    if details:
        changes["unblinding_details"] = _write_note(actor, deviation, details)
        deviation.save(update_fields=["has_unblinding_details"])
    append_audit(actor=actor.username, action="report_deviation", model="deviation",
                 object_id=deviation.key, changes=changes)
    return deviation


def _locked(deviation: Deviation) -> Deviation:
    # of=("self",): PostgreSQL locks no row of the nullable side of an outer join (a site-level
    # deviation has no participant)
    return Deviation.objects.select_for_update(of=("self",)).select_related(
        "site", "participant").get(pk=deviation.pk)


@action(REPORT)
def do_update_deviation(actor: Actor, deviation: Deviation, *, values_in: Mapping[str, Any],
                        reason: str, unblinding_details: str | None = None,
                        expected_version: int | None = None) -> Deviation:
    """Change a deviation's values (only those given), its CAPA or its ethics report, with a
    reason; ``unblinding_details`` None keeps them, "" clears them. A closed one is reopened
    first (``do_reopen_deviation``)."""
    deviation = _locked(deviation)
    if deviation.status == rules.CLOSED:
        raise Conflict("closed", f"{deviation.key} is closed: reopen it to change it")
    if expected_version is not None and deviation.version != expected_version:
        raise Conflict("stale", f"{deviation.key} was changed by someone else (version "
                                f"{deviation.version}); reload it")
    old = _stored(deviation)
    cleaned = values.clean(values_in, site=deviation.site,
                           today=access.site_today(deviation.site.code), current=old)
    cleaned["discovered_by"] = cleaned["discovered_by"] or deviation.discovered_by
    changes = _changes(old, cleaned)
    if unblinding_details is not None or changes.get("category"):
        current = deviation.notes.order_by("-seq").first()
        kept = current.text if current else ""
        text = values.unblinding_details(
            kept if unblinding_details is None else unblinding_details, cleaned["category"])
        # a writer who cannot read the details gets a new version even for the same text:
        # "nothing changed" would tell a guess from a miss
        if unblinding_details is not None and (
                text != kept or not access.sees_unblinding_details(actor, deviation)):
            changes["unblinding_details"] = _write_note(actor, deviation, text, force=True)
    if not changes:
        return deviation
    reason = values.reason(reason)
    for name, value in cleaned.items():
        setattr(deviation, name, value)
    old_status, old_due = deviation.status, deviation.ethics_due_on
    _derive(deviation)
    if deviation.status != old_status:
        changes["status"] = {"old": old_status, "new": deviation.status}
    if deviation.ethics_due_on != old_due:
        changes["ethics_due_on"] = {"old": values.as_json(old_due),
                                    "new": values.as_json(deviation.ethics_due_on)}
    deviation.version += 1
    deviation.updated_at, deviation.updated_by = clock.now(), actor.user
    deviation.save()
    append_audit(actor=actor.username, action="update_deviation", model="deviation",
                 object_id=deviation.key, changes=changes, reason=reason)
    return deviation


def _closing_side(actor: Actor) -> None:
    if not access.may_close(actor):
        raise Forbidden(f"the role {actor.role} may not close or reopen deviations (the "
                        "monitor or the data manager confirms the CAPA)")


@action(REPORT)
def do_close_deviation(actor: Actor, deviation: Deviation, *, reason: str) -> Deviation:
    """Close a deviation whose CAPA is written and completed (and, when major, reported to the
    ethics committee); refused with every missing item otherwise."""
    _closing_side(actor)
    deviation = _locked(deviation)
    if deviation.status == rules.CLOSED:
        raise Conflict("closed", f"{deviation.key} is already closed")
    blockers = rules.close_blockers(facts(deviation))
    if blockers:
        raise Conflict("capa_incomplete", f"{deviation.key} cannot be closed: " + "; ".join(
            f"{field}: {rule}" for field, rule in blockers))
    reason = values.reason(reason)
    now = clock.now()
    old_status = deviation.status
    deviation.status, deviation.closed_at, deviation.closed_by = rules.CLOSED, now, actor.user
    deviation.version += 1
    deviation.updated_at, deviation.updated_by = now, actor.user
    deviation.save()
    append_audit(actor=actor.username, action="close_deviation", model="deviation",
                 object_id=deviation.key,
                 changes={"status": {"old": old_status, "new": rules.CLOSED}}, reason=reason)
    return deviation


@action(REPORT)
def do_reopen_deviation(actor: Actor, deviation: Deviation, *, reason: str) -> Deviation:
    """Reopen a closed deviation (a CAPA that did not hold, a correction), with a reason."""
    _closing_side(actor)
    deviation = _locked(deviation)
    if deviation.status != rules.CLOSED:
        raise Conflict("not_closed", f"{deviation.key} is not closed")
    reason = values.reason(reason)
    deviation.status = rules.status_of(facts(deviation), closed=False)
    deviation.closed_at = deviation.closed_by = None
    deviation.version += 1
    deviation.updated_at, deviation.updated_by = clock.now(), actor.user
    deviation.save()
    append_audit(actor=actor.username, action="reopen_deviation", model="deviation",
                 object_id=deviation.key,
                 changes={"status": {"old": rules.CLOSED, "new": deviation.status}},
                 reason=reason)
    return deviation
