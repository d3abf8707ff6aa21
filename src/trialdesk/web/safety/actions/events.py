"""Reporting, correcting, following up and coding adverse events: each one transaction with its
audit record, and the alerts the event calls for made in that same transaction (sent after it
commits: ``safety.alerts``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Max

from trialdesk.blinding import Permission
from trialdesk.safety import rules
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.safety import alerts, values
from trialdesk.web.safety.dictionary import current_dictionary
from trialdesk.web.safety.models import (
    OPEN,
    RESOLVED,
    TERM_MAX,
    AdverseEvent,
    AdverseEventFollowUp,
)
from trialdesk.web.trials.models import Participant, Randomization

# Coding is the data manager's task: the protocol has no coder role, and closing queries (data
# cleaning) is the permission data management alone holds.
CODE_TERMS = (Permission.CLOSE_QUERIES,)
MIN_REASON = 5


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"old": values.as_json(old.get(name)), "new": values.as_json(new.get(name))}
            for name in new if old.get(name) != new.get(name)}


def _stored(event: AdverseEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in values.EDITABLE}


def _status(outcome: str) -> str:
    return RESOLVED if rules.is_resolved(outcome) else OPEN


def _reason(reason: str) -> str:
    reason = values.text("reason", reason, limit=values.TEXT_MAX, required=False)
    if len(reason) < MIN_REASON:
        raise InvalidInput("reason", f"must say why, in at least {MIN_REASON} characters")
    return reason


def _after_change(event: AdverseEvent, now: dt.datetime) -> list[str]:
    """Mark the case reported to the sponsor once serious; make the alerts its new reasons call
    for; return those reasons."""
    facts = event.facts()
    if facts.serious and event.reported_to_sponsor_at is None:
        # recording a serious event is its report to the sponsor: the alert goes out now
        event.reported_to_sponsor_at = now
    reasons = rules.new_alert_reasons(facts, event.alerted)
    if reasons:
        event.alerted = [*event.alerted, *reasons]
    return reasons


def _alert(event: AdverseEvent, reasons: list[str], now: dt.datetime) -> None:
    made = alerts.create_alerts(event, reasons, now)
    if made:
        # sent by a background task, enqueued in this transaction: it exists exactly when the
        # event and its alerts do, and the report is answered without waiting for a mail server
        alerts.deliver_alerts.enqueue([alert.pk for alert in made])


def create_event(actor: Actor, participant: Participant, cleaned: Mapping[str, Any], *,
                 source: str = AdverseEvent.REPORTED, source_form: str = "",
                 reason: str = "") -> AdverseEvent:
    """Store a new event (inside the caller's write transaction), audit it, make its alerts."""
    if not Randomization.objects.filter(participant=participant).exists():
        raise Conflict("not_randomized",
                       f"{participant.code} is not randomized: adverse events of the trial "
                       "start at randomization")
    now = clock.now()
    event = AdverseEvent(participant=participant, site_id=participant.site_id, **cleaned,
                         status=_status(cleaned["outcome"]), source=source,
                         source_form=source_form, created_at=now, created_by=actor.user,
                         updated_at=now, updated_by=actor.user)
    event.participant = participant
    reasons = _after_change(event, now)
    event.save()
    changes = {"participant": {"old": None, "new": participant.code},
               **_changes({}, {k: v for k, v in cleaned.items() if v not in (None, False)})}
    if event.reported_to_sponsor_at is not None:
        changes["reported_to_sponsor_at"] = {"old": None,
                                             "new": event.reported_to_sponsor_at.isoformat()}
    append_audit(actor=actor.username, action="report_adverse_event", model="adverse_event",
                 object_id=event.key, changes=changes, reason=reason)
    _alert(event, reasons, now)
    return event


@action(Permission.REPORT_AE, refuse_when_locked=True)
def do_report_adverse_event(actor: Actor, participant: Participant, *,
                            values_in: Mapping[str, Any]) -> AdverseEvent:
    """Report an adverse event of a randomized participant (the actor may reach it: see
    ``trials.access``). A serious one is thereby reported to the sponsor; an SAE, a grade >= 4
    event, a death or a SUSAR alerts the sponsor's safety contact and the DSMB."""
    cleaned = values.clean(values_in)
    participant = Participant.objects.select_related("site").get(pk=participant.pk)
    return create_event(actor, participant, cleaned)


def _locked_event(event: AdverseEvent) -> AdverseEvent:
    return AdverseEvent.objects.select_for_update().select_related(
        "participant", "site").get(pk=event.pk)


@action(Permission.REPORT_AE, refuse_when_locked=True)
def do_update_adverse_event(actor: Actor, event: AdverseEvent, *, values_in: Mapping[str, Any],
                            reason: str, expected_version: int | None = None) -> AdverseEvent:
    """Correct or complete an event's values (only those given); every change needs a reason.

    A change that makes the event serious reports it to the sponsor; one that adds an alert
    reason (a grade now 4, a SUSAR now) alerts again for that reason only.
    """
    event = _locked_event(event)
    if expected_version is not None and event.version != expected_version:
        raise Conflict("stale", f"{event.key} was changed by someone else (version "
                                f"{event.version}); reload it")
    old = _stored(event)
    cleaned = values.clean(values_in, current=old)
    changes = _changes(old, cleaned)
    if not changes:
        return event
    reason = _reason(reason)
    now = clock.now()
    for name, value in cleaned.items():
        setattr(event, name, value)
    old_status = event.status
    event.status = _status(event.outcome)
    if event.status != old_status:
        changes["status"] = {"old": old_status, "new": event.status}
    was_reported = event.reported_to_sponsor_at
    reasons = _after_change(event, now)
    if event.reported_to_sponsor_at != was_reported:
        changes["reported_to_sponsor_at"] = {"old": None, "new": now.isoformat()}
    event.version += 1
    event.updated_at, event.updated_by = now, actor.user
    event.save()
    append_audit(actor=actor.username, action="update_adverse_event", model="adverse_event",
                 object_id=event.key, changes=changes, reason=reason)
    _alert(event, reasons, now)
    return event


@action(Permission.REPORT_AE, refuse_when_locked=True)
def do_record_follow_up(actor: Actor, event: AdverseEvent, *, kind: str, text: str,
                        outcome: str, resolved: bool, end_date: dt.date | None = None
                        ) -> AdverseEventFollowUp:
    """Record a follow-up report: what changed, the outcome now, resolved or not.

    ``kind``: ``follow_up`` (an SAE is followed until resolved), ``death_report`` (a fatal
    event's), ``susar_report`` and ``susar_follow_up`` (the sponsor's reports to the authorities,
    as confirmed). A fatal outcome makes the event a death (grade 5) and alerts; a resolved one
    closes the case.
    """
    event = _locked_event(event)
    if kind not in AdverseEventFollowUp.KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(AdverseEventFollowUp.KINDS)}")
    text = values.long_text("text", text)
    if outcome not in rules.OUTCOMES:
        raise InvalidInput("outcome", f"must be one of {', '.join(rules.OUTCOMES)}")
    if not isinstance(resolved, bool):
        raise InvalidInput("resolved", "must be true or false")
    if resolved != rules.is_resolved(outcome):
        raise InvalidInput("resolved", "must be true exactly when the outcome is recovered, "
                                       "recovered with sequelae or fatal")
    if kind == AdverseEventFollowUp.FOLLOW_UP and event.status == RESOLVED:
        raise Conflict("resolved", f"{event.key} is resolved: a new event is a new report")
    old = _stored(event)
    new = {**old, "outcome": outcome}
    if end_date is not None:
        new["end_date"] = end_date
    if outcome == "fatal":
        new.update(death=True, grade=5)
    if resolved and outcome != "fatal" and new["end_date"] is None:
        raise InvalidInput("end_date", "is required to resolve the event")
    cleaned = values.clean({k: v for k, v in new.items() if k in values.EDITABLE},
                           current=old)
    now = clock.now()
    for name, value in cleaned.items():
        setattr(event, name, value)
    facts = event.facts()
    stamps = {
        AdverseEventFollowUp.DEATH_REPORT: ("death_reported_at", facts.death,
                                            "a death report is for a fatal event"),
        AdverseEventFollowUp.SUSAR_REPORT: ("susar_reported_at", facts.susar,
                                            "a SUSAR report is for a SUSAR"),
        AdverseEventFollowUp.SUSAR_FOLLOW_UP: ("susar_follow_up_reported_at",
                                               event.susar_reported_at is not None,
                                               "a SUSAR follow-up comes after its report"),
    }
    changes = _changes(old, cleaned)
    if kind in stamps:
        field, allowed, rule = stamps[kind]
        if not allowed:
            raise InvalidInput("kind", rule)
        if getattr(event, field) is None:
            setattr(event, field, now)
            changes[field] = {"old": None, "new": now.isoformat()}
    old_status = event.status
    event.status = _status(event.outcome)
    if event.status != old_status:
        changes["status"] = {"old": old_status, "new": event.status}
    reasons = _after_change(event, now)
    last = event.follow_ups.aggregate(last=Max("seq"))["last"] or 0
    follow_up = AdverseEventFollowUp.objects.create(
        event=event, seq=last + 1, kind=kind, text=text, outcome=outcome, resolved=resolved,
        end_date=event.end_date, at=now, by=actor.user)
    event.version += 1
    event.updated_at, event.updated_by = now, actor.user
    event.save()
    changes["follow_up"] = {"old": last or None, "new": follow_up.seq}
    append_audit(actor=actor.username, action="follow_up_adverse_event", model="adverse_event",
                 object_id=event.key, changes=changes, reason=text)
    _alert(event, reasons, now)
    return follow_up


CODE_FIELDS = ("llt_code", "llt_name", "pt_code", "pt_name", "soc_code", "soc_name")


@action(CODE_TERMS, refuse_when_locked=True)
def do_code_adverse_event(actor: Actor, event: AdverseEvent, *, coded: Mapping[str, str],
                          reason: str = "") -> AdverseEvent:
    """Code the verbatim term (MedDRA lowest level term, preferred term, system organ class).

    With a MedDRA release loaded (``safety.dictionary``) the LLT code alone is needed: the names
    and the primary path come from the release, and a code not in it (or not current) is
    refused; without one, the codes and names are typed in (LLT code, PT code and name at least).
    Coding an uncoded term needs no reason; changing a code does.
    """
    event = _locked_event(event)
    unknown = sorted(set(coded) - set(CODE_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], "is not a coding field")
    release = current_dictionary()
    new = {}
    for name in CODE_FIELDS:
        limit = 12 if name.endswith("_code") else TERM_MAX
        required = name == "llt_code" or (release is None and name in ("pt_code", "pt_name"))
        value = values.text(name, coded.get(name, ""), limit=limit, required=required)
        if name.endswith("_code") and value and not value.isdigit():
            raise InvalidInput(name, "must be a MedDRA code (digits only)")
        new[name] = value
    if release is not None:
        # the loaded release decides the names and the primary path of the LLT
        try:
            path = release.hierarchy(new["llt_code"])
        except KeyError:
            raise InvalidInput("llt_code", "is not in the loaded MedDRA release") from None
        if not path.llt.current:
            raise InvalidInput("llt_code", "is not current in the loaded MedDRA release")
        new = {"llt_code": str(path.llt.code), "llt_name": path.llt.name,
               "pt_code": str(path.pt.code), "pt_name": path.pt.name,
               "soc_code": str(path.soc.code), "soc_name": path.soc.name}
    old = {name: getattr(event, name) for name in CODE_FIELDS}
    changes = _changes(old, new)
    if not changes:
        return event
    if event.coded:
        reason = _reason(reason)
    now = clock.now()
    for name, value in new.items():
        setattr(event, name, value)
    event.coded_at, event.coded_by = now, actor.user
    event.version += 1
    event.updated_at, event.updated_by = now, actor.user
    event.save()
    append_audit(actor=actor.username, action="code_adverse_event", model="adverse_event",
                 object_id=event.key, changes=changes, reason=reason)
    return event
