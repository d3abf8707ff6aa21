"""Adverse events and safety alerts in the JSON API, under /api/v1/safety/.

Site staff report, correct and follow up the events of their site's participants; monitors and
data managers (and every role that reads participants) read them; the data manager codes the
verbatim terms from the coding queue. Answers carry no arm, no kit and no lot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.safety import rules
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.core.schemas import Strict
from trialdesk.web.safety import access, actions, presenters
from trialdesk.web.safety.actions import CODE_TERMS
from trialdesk.web.safety.dictionary import current_dictionary
from trialdesk.web.safety.models import TERM_MAX, TEXT_MAX, AdverseEventFollowUp, SafetyAlert
from trialdesk.web.trials.access import access_participant_by_code

router = Router(tags=["safety"])

Relatedness = Literal[rules.RELATEDNESS]  # type: ignore[valid-type]
Expectedness = Literal[rules.EXPECTEDNESS]  # type: ignore[valid-type]
ActionTaken = Literal[rules.ACTIONS_TAKEN]  # type: ignore[valid-type]
Outcome = Literal[rules.OUTCOMES]  # type: ignore[valid-type]
FollowUpKind = Literal[AdverseEventFollowUp.KINDS]  # type: ignore[valid-type]
EVENT = "/safety/adverse-events/{ae_id}"


class SafetyEventValues(Strict):
    """The values of an adverse event (seriousness criteria as booleans)."""

    term: str = Field(min_length=1, max_length=TERM_MAX)
    onset_date: dt.date
    end_date: dt.date | None = None
    grade: int = Field(ge=1, le=5, description="CTCAE v5 grade")
    death: bool = False
    life_threatening: bool = False
    hospitalization: bool = Field(False, description="hospitalization or its prolongation")
    disability: bool = False
    congenital_anomaly: bool = False
    important_medical_event: bool = False
    relatedness: Relatedness
    expectedness: Expectedness = "unknown"
    action_taken: ActionTaken = "unknown"
    outcome: Outcome = "unknown"
    investigator_aware_at: dt.datetime | None = Field(
        None, description="when the investigator learnt of it (aware, with its offset); "
                          "default: now")
    sponsor_aware_date: dt.date | None = Field(
        None, description="day 0 of the SUSAR clocks; default: the day it reached the sponsor")


class SafetyEventIn(SafetyEventValues, Idempotent):
    participant: str = Field(min_length=1, max_length=20)


class SafetyEventChange(Strict):
    """The values to change (others keep theirs), and why."""

    term: str | None = Field(None, min_length=1, max_length=TERM_MAX)
    onset_date: dt.date | None = None
    end_date: dt.date | None = None
    grade: int | None = Field(None, ge=1, le=5)
    death: bool | None = None
    life_threatening: bool | None = None
    hospitalization: bool | None = None
    disability: bool | None = None
    congenital_anomaly: bool | None = None
    important_medical_event: bool | None = None
    relatedness: Relatedness | None = None
    expectedness: Expectedness | None = None
    action_taken: ActionTaken | None = None
    outcome: Outcome | None = None
    investigator_aware_at: dt.datetime | None = None
    sponsor_aware_date: dt.date | None = None
    reason: str = Field(min_length=1, max_length=TEXT_MAX)
    expected_version: int | None = Field(None, ge=1, le=2**31)


class SafetyFollowUpIn(Idempotent):
    kind: FollowUpKind = "follow_up"
    text: str = Field(min_length=1, max_length=TEXT_MAX, description="what changed")
    outcome: Outcome
    resolved: bool
    end_date: dt.date | None = None


class SafetyCodeIn(Strict):
    llt_code: str = Field(min_length=1, max_length=12, pattern=r"^\d+$")
    llt_name: str = Field("", max_length=TERM_MAX)
    # with a MedDRA release loaded the LLT code alone is needed (the rest comes from it)
    pt_code: str = Field("", max_length=12, pattern=r"^\d*$")
    pt_name: str = Field("", max_length=TERM_MAX)
    soc_code: str = Field("", max_length=12, pattern=r"^\d*$")
    soc_name: str = Field("", max_length=TERM_MAX)
    reason: str = Field("", max_length=TEXT_MAX)


def _event_values(body: Strict, *, exclude: set[str]) -> dict[str, Any]:
    return body.model_dump(exclude=exclude, exclude_unset=True)


@router.get("/safety/adverse-events")
@endpoint(READ_PARTICIPANTS)
def list_events(request: HttpRequest, status: str | None = None,
                serious: bool | None = None) -> list[dict[str, Any]]:
    """The adverse events the caller may see (site staff: their site), newest first, each with
    its clocks and next actions. Filters: ``status`` (open, resolved), ``serious``."""
    events = access.visible_events(request_actor(request)).order_by("-created_at", "-pk")
    if status:
        events = events.filter(status=status)
    views = [presenters.event_view(event) for event in events]
    if serious is not None:
        views = [view for view in views if view["serious"] == serious]
    return views


@router.post("/safety/adverse-events", response={201: dict})
@endpoint(Permission.REPORT_AE)
@idempotent("safety.report_event")
def report_event(request: HttpRequest, body: SafetyEventIn) -> Status:
    """Report an adverse event of a randomized participant of the caller's site. An SAE, a
    grade >= 4 event, a death or a SUSAR alerts the sponsor's safety contact and the DSMB.

    Send an ``idempotency_key`` (or the ``Idempotency-Key`` header): a retry answers the first
    report's answer and reports (and alerts) nothing again."""
    actor = request_actor(request)
    participant = access_participant_by_code(actor, body.participant)
    event = actions.do_report_adverse_event(
        actor, participant,
        values_in=_event_values(body, exclude={"participant", "idempotency_key"}))
    return Status(201, presenters.event_view(event, with_follow_ups=True))


@router.get(EVENT)
@endpoint(READ_PARTICIPANTS, record_readers=READ_PARTICIPANTS)
def get_event(request: HttpRequest, ae_id: int) -> dict[str, Any]:
    """One adverse event with its follow-ups, due dates (UTC and the site's time zone), overdue
    flags and next required actions."""
    event = access.access_event(request_actor(request), ae_id)
    return presenters.event_view(event, with_follow_ups=True)


@router.patch(EVENT)
@endpoint(Permission.REPORT_AE)
def update_event(request: HttpRequest, ae_id: int, body: SafetyEventChange) -> dict[str, Any]:
    """Correct or complete an event's values, with the reason for the change (audited)."""
    actor = request_actor(request)
    event = access.access_event(actor, ae_id)
    changes = {name: value for name, value in _event_values(
        body, exclude={"reason", "expected_version"}).items() if value is not None
        or name in ("end_date", "sponsor_aware_date")}
    event = actions.do_update_adverse_event(actor, event, values_in=changes, reason=body.reason,
                                            expected_version=body.expected_version)
    return presenters.event_view(event, with_follow_ups=True)


@router.post(EVENT + "/follow-ups", response={201: dict})
@endpoint(Permission.REPORT_AE)
@idempotent("safety.follow_up_event")
def follow_up_event(request: HttpRequest, ae_id: int, body: SafetyFollowUpIn) -> Status:
    """Record a follow-up report (or a death or SUSAR report): what changed, the outcome now,
    resolved or not. With an ``idempotency_key`` a retry records (and alerts) nothing again."""
    actor = request_actor(request)
    event = access.access_event(actor, ae_id)
    actions.do_record_follow_up(actor, event, kind=body.kind, text=body.text,
                                outcome=body.outcome, resolved=body.resolved,
                                end_date=body.end_date)
    return Status(201, presenters.event_view(access.access_event(actor, ae_id),
                                             with_follow_ups=True))


@router.post(EVENT + "/code")
@endpoint(CODE_TERMS)
def code_event(request: HttpRequest, ae_id: int, body: SafetyCodeIn) -> dict[str, Any]:
    """Code the verbatim term (MedDRA LLT, PT, SOC); a change of code needs a reason."""
    actor = request_actor(request)
    event = access.access_event(actor, ae_id)
    coded = body.model_dump(exclude={"reason"})
    event = actions.do_code_adverse_event(actor, event, coded=coded, reason=body.reason)
    return presenters.event_view(event, with_follow_ups=True)


@router.get("/safety/coding-queue")
@endpoint(CODE_TERMS)
def coding_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """The verbatim terms not coded yet, oldest first."""
    events = access.visible_events(request_actor(request)).filter(llt_code="").order_by(
        "created_at", "pk")
    return [{"id": e.pk, "key": e.key, "participant": e.participant.code, "site": e.site.code,
             "term": e.term, "onset_date": e.onset_date.isoformat()} for e in events]


@router.get("/safety/dictionary/search")
@endpoint(CODE_TERMS)
def search_dictionary(request: HttpRequest, text: str = Query(..., min_length=1, max_length=100),
                      limit: int = Query(20, ge=1, le=100)) -> list[dict[str, Any]]:
    """Lowest level terms of the loaded MedDRA release matching ``text`` (current ones first),
    each with its preferred term and primary system organ class. 409 while none is loaded."""
    release = current_dictionary()
    if release is None:
        raise Conflict("no_dictionary", "no MedDRA release is loaded: terms stay verbatim "
                                        "until one is (trialdesk safety load-dictionary)")
    found = []
    for llt in release.search(text, limit):
        path = release.hierarchy(llt.code)
        found.append({"llt_code": str(llt.code), "llt_name": llt.name, "current": llt.current,
                      "pt_code": str(path.pt.code), "pt_name": path.pt.name,
                      "soc_code": str(path.soc.code), "soc_name": path.soc.name})
    return found


@router.get("/safety/summary")
@endpoint(READ_PARTICIPANTS)
def safety_summary(request: HttpRequest) -> dict[str, Any]:
    """The blinded safety view: pooled counts over the participants the caller may see, never
    by arm."""
    events = list(access.visible_events(request_actor(request)))
    return {"pooled": True, **presenters.pooled_summary(events)}


@router.get("/safety/alerts")
@endpoint(READ_PARTICIPANTS)
def list_alerts(request: HttpRequest, undelivered: bool = False) -> list[dict[str, Any]]:
    """The safety alerts of the events the caller may see, with their delivery: sent, or pending
    or failed (tried again until sent)."""
    events = access.visible_events(request_actor(request))
    alerts = SafetyAlert.objects.filter(event__in=events).select_related("event").order_by("pk")
    if undelivered:
        alerts = alerts.exclude(status=SafetyAlert.SENT)
    return [{"id": a.pk, "event": a.event.key, "reasons": a.reasons, "recipient": a.recipient,
             "status": a.status, "attempts": a.attempts, "last_error": a.last_error,
             "created_at": a.created_at.isoformat(),
             "sent_at": a.sent_at.isoformat() if a.sent_at else None} for a in alerts]
