"""Monitoring in the JSON API, under /api/v1/monitoring/: the verification plan and progress, a
record's fields with their verification, verifying, and monitoring visits with their findings,
action items and follow-up letter."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.schemas import Strict
from trialdesk.web.monitoring import actions, letter, presenters
from trialdesk.web.monitoring.presenters import MONITORING_READERS
from trialdesk.web.monitoring.status import states

router = Router(tags=["monitoring"])
RECORD_READERS = MONITORING_READERS


def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "en")[:2]


class VerifyIn(Strict):
    visit: int
    status: Literal["verified", "needs_correction"]
    fields: list[str] = Field(default_factory=list, max_length=200)
    comment: str = Field(default="", max_length=4000)


class VisitIn(Idempotent):
    site: str = Field(max_length=10)
    kind: Literal["on_site", "remote"]
    planned_date: dt.date
    monitor: str | None = Field(default=None, max_length=150)


class VisitChange(Strict):
    status: Literal["planned", "done", "cancelled"] | None = None
    planned_date: dt.date | None = None
    done_date: dt.date | None = None
    summary: str | None = Field(default=None, max_length=4000)


class FindingIn(Idempotent):
    category: Literal["consent", "eligibility", "source_documents", "safety_reporting",
                      "investigational_product", "data_quality", "facilities", "other"]
    severity: Literal["minor", "major", "critical"]
    text: str = Field(min_length=5, max_length=4000)


class ActionItemIn(Idempotent):
    text: str = Field(min_length=5, max_length=4000)
    owner: str = Field(min_length=1, max_length=150)
    due_date: dt.date
    finding: int | None = None


class ActionItemChange(Strict):
    status: Literal["open", "done"] | None = None
    note: str | None = Field(default=None, max_length=4000)
    owner: str | None = Field(default=None, min_length=1, max_length=150)
    due_date: dt.date | None = None


@router.get("/monitoring/plan")
@endpoint(MONITORING_READERS, record_readers=None)
def plan(request: HttpRequest, site: str | None = None, participant: str | None = None,
         state: str | None = None) -> dict[str, Any]:
    """The source data verification plan: each planned record, why it is in (a 100% category or
    sampled, with its draw) and its state (not verified, partly verified, verified, needs
    correction, changed since verification)."""
    return presenters.plan_view(request_actor(request), _lang(request), site=site,
                                participant=participant, state=state)


@router.get("/monitoring/progress")
@endpoint(MONITORING_READERS, record_readers=None)
def progress(request: HttpRequest) -> dict[str, Any]:
    """Planned records and their states, counted per site and per participant."""
    return presenters.progress_view(request_actor(request))


@router.get("/monitoring/records/{source}/{ref}")
@endpoint(MONITORING_READERS, record_readers=RECORD_READERS)
def record_detail(request: HttpRequest, source: str, ref: str) -> dict[str, Any]:
    """One record (source ``form``, ``consent`` or ``adverse_event``) with each field's value,
    state and last verification."""
    rec = presenters.access_record(request_actor(request), source, ref)
    [state] = states([rec], only_planned=False)
    return presenters.state_view(state, _lang(request), fields=True)


@router.post("/monitoring/records/{source}/{ref}/verification", response={201: dict})
@endpoint(Permission.VERIFY_SOURCE, record_readers=RECORD_READERS)
def verify(request: HttpRequest, source: str, ref: str, body: VerifyIn) -> Status:
    """Verify fields of a record (none named: all) at a monitoring visit of its site."""
    actor = request_actor(request)
    rec = presenters.access_record(actor, source, ref)
    visit = presenters.access_visit(actor, body.visit)
    actions.do_verify(actor, visit, rec, status=body.status, fields=body.fields,
                      comment=body.comment)
    [state] = states([presenters.access_record(actor, source, ref)], only_planned=False)
    return Status(201, presenters.state_view(state, _lang(request), fields=True))


@router.get("/monitoring/visits")
@endpoint(MONITORING_READERS, record_readers=None)
def list_visits(request: HttpRequest) -> list[dict[str, Any]]:
    """Monitoring visits, latest planned first."""
    return presenters.visits_view(request_actor(request))


@router.post("/monitoring/visits", response={201: dict})
@endpoint(Permission.VERIFY_SOURCE, record_readers=None)
@idempotent("monitoring.plan_visit")
def plan_visit(request: HttpRequest, body: VisitIn) -> Status:
    """Plan a monitoring visit of a site (the monitor: the caller unless named)."""
    actor = request_actor(request)
    visit = actions.do_plan_visit(actor, site_code=body.site, kind=body.kind,
                                  planned_date=body.planned_date, monitor=body.monitor)
    return Status(201, presenters.visit_view(visit, details=True))


@router.get("/monitoring/visits/{visit_id}")
@endpoint(MONITORING_READERS, record_readers=MONITORING_READERS)
def visit(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    """A visit with its findings, action items and the records verified at it."""
    return presenters.visit_view(presenters.access_visit(request_actor(request), visit_id),
                                 details=True)


@router.patch("/monitoring/visits/{visit_id}")
@endpoint(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
def update_visit(request: HttpRequest, visit_id: int, body: VisitChange) -> dict[str, Any]:
    """Record the visit as done (on a date) or cancelled, move it, or write its summary."""
    actor = request_actor(request)
    found = presenters.access_visit(actor, visit_id)
    changed = actions.do_update_visit(actor, found, status=body.status,
                                      planned_date=body.planned_date,
                                      done_date=body.done_date, summary=body.summary)
    return presenters.visit_view(changed, details=True)


@router.post("/monitoring/visits/{visit_id}/findings", response={201: dict})
@endpoint(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
@idempotent("monitoring.add_finding")
def add_finding(request: HttpRequest, visit_id: int, body: FindingIn) -> Status:
    actor = request_actor(request)
    finding = actions.do_add_finding(actor, presenters.access_visit(actor, visit_id),
                                     category=body.category, severity=body.severity,
                                     text=body.text)
    return Status(201, presenters.finding_view(finding))


@router.post("/monitoring/visits/{visit_id}/action-items", response={201: dict})
@endpoint(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
@idempotent("monitoring.add_action_item")
def add_action_item(request: HttpRequest, visit_id: int, body: ActionItemIn) -> Status:
    actor = request_actor(request)
    item = actions.do_add_action_item(actor, presenters.access_visit(actor, visit_id),
                                      text=body.text, owner=body.owner,
                                      due_date=body.due_date, finding_id=body.finding)
    return Status(201, presenters.action_item_view(item))


@router.patch("/monitoring/action-items/{item_id}")
@endpoint(Permission.VERIFY_SOURCE, record_readers=MONITORING_READERS)
def update_action_item(request: HttpRequest, item_id: int, body: ActionItemChange
                       ) -> dict[str, Any]:
    """Close or reopen an action item, with a note; or change its owner or due date."""
    actor = request_actor(request)
    item = actions.do_update_action_item(actor, presenters.access_action_item(actor, item_id),
                                         status=body.status, note=body.note, owner=body.owner,
                                         due_date=body.due_date)
    return presenters.action_item_view(item)


@router.get("/monitoring/visits/{visit_id}/letter")
@endpoint(MONITORING_READERS, record_readers=MONITORING_READERS)
def follow_up_letter(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The visit's follow-up letter to the site, as an HTML file."""
    found = presenters.access_visit(request_actor(request), visit_id)
    return letter.download(found, _lang(request))
