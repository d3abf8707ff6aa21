"""The DSMB in the JSON API, under /api/v1/dsmb/: meetings, report generations (HTML, PDF),
signed recommendations and the sponsor's response, the stopping rule's table and signals.

A closed report is answered "not found" to every role but the DSMB, exactly as a report that
does not exist, and left out of every list: a blinded role learns nothing of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.permissions import ANY_ROLE
from trialdesk.web.dsmb import actions, jobs, presenters, render
from trialdesk.web.dsmb.models import Meeting
from trialdesk.web.dsmb.presenters import MEETING_READERS
from trialdesk.web.trials.api_dsmb import Decision

router = Router(tags=["dsmb"])


class MeetingIn(Idempotent):
    date: dt.date
    kind: Literal["scheduled", "ad_hoc"]
    cutoff: dt.date
    attendees: str = Field(default="", max_length=4000)


class ReportIn(Idempotent):
    kind: Literal["open", "closed"]


class SignedRecommendationIn(Idempotent):
    decision: Decision
    rationale: str = Field(min_length=10, max_length=10000)
    password: str = Field(min_length=1, max_length=1000)


class ResponseIn(Idempotent):
    response: Literal["accepted", "accepted_with_changes", "not_accepted"]
    text: str = Field(min_length=10, max_length=10000)


@router.get("/dsmb/boundary")
@endpoint(ANY_ROLE, record_readers=None)
def stopping_rule(request: HttpRequest) -> dict[str, Any]:
    """The protocol's Bayesian safety stopping rule and its boundary table (for each number
    treated in the watched arm, the smallest event count that trips it): no trial data."""
    return presenters.boundary_view(request_actor(request))


@router.get("/dsmb/signals")
@endpoint(ANY_ROLE, record_readers=None)
def signals(request: HttpRequest) -> list[dict[str, Any]]:
    """When the stopping rule alerted the DSMB; the counts for the DSMB only."""
    return presenters.signals_view(request_actor(request))


@router.get("/dsmb/meetings")
@endpoint(MEETING_READERS, record_readers=None)
def list_meetings(request: HttpRequest) -> list[dict[str, Any]]:
    """DSMB meetings, newest first, with their reports (closed ones for the DSMB only)."""
    actor = request_actor(request)
    return [presenters.meeting_view(actor, meeting)
            for meeting in Meeting.objects.order_by("-date", "-pk")]


@router.post("/dsmb/meetings", response={201: dict})
@endpoint(Permission.RECOMMEND, record_readers=None)
@idempotent("dsmb.create_meeting")
def create_meeting(request: HttpRequest, body: MeetingIn) -> Status:
    """Record a DSMB meeting (the data cut-off not after it)."""
    actor = request_actor(request)
    meeting = actions.do_create_meeting(actor, date=body.date, kind=body.kind,
                                        cutoff=body.cutoff, attendees=body.attendees)
    return Status(201, presenters.meeting_view(actor, meeting))


@router.get("/dsmb/meetings/{meeting_id}")
@endpoint(MEETING_READERS, record_readers=None)
def meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    return presenters.meeting_view(request_actor(request), presenters.access_meeting(meeting_id))


@router.post("/dsmb/meetings/{meeting_id}/reports", response={201: dict})
@endpoint(Permission.UNBLINDED_REPORTS, record_readers=None)
@idempotent("dsmb.generate_report")
def generate_report(request: HttpRequest, meeting_id: int, body: ReportIn) -> Status:
    """Generate the meeting's open or closed report as of its data cut-off; stored and audited."""
    actor = request_actor(request)
    report = actions.do_generate_report(actor, presenters.access_meeting(meeting_id),
                                        kind=body.kind)
    return Status(201, presenters.report_view(report))


@router.get("/dsmb/report-jobs/{job_id}")
@endpoint(MEETING_READERS, record_readers=None)
def report_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """A report generation queued on the meeting page: its state and progress, the stored
    report's id once done, a failure's reason as a code (a closed report's job: DSMB only; not
    found for anyone else, as a job that does not exist)."""
    return jobs.job_view(presenters.access_job(request_actor(request), job_id))


@router.get("/dsmb/reports/{report_id}")
@endpoint(MEETING_READERS, record_readers=None)
def report(request: HttpRequest, report_id: int, language: str | None = None
           ) -> dict[str, Any]:
    """One stored report with its HTML (a closed one: DSMB only; not found for anyone else):
    the document in ``language`` (``en``, ``es``; the reference language by default)."""
    found = presenters.access_report(request_actor(request), report_id)
    return presenters.report_view(found, html=True, language=language)


@router.get("/dsmb/reports/{report_id}/pdf")
@endpoint(MEETING_READERS, record_readers=None)
def report_pdf(request: HttpRequest, report_id: int, language: str | None = None
               ) -> HttpResponse:
    """The stored report as PDF, in ``language`` (the reference language by default)."""
    found = presenters.access_report(request_actor(request), report_id)
    shown, html, _digest = found.document(language or found.language)
    response = HttpResponse(render.pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="dsmb-report-{found.pk}-{shown}.pdf"')
    return response


def _check_password_first(request: HttpRequest, meeting_id: int,
                          body: SignedRecommendationIn) -> None:
    # the signing password's check (audited, throttled) outside the idempotent transaction
    actions.do_sign_recommendation.before(request_actor(request),
                                          presenters.access_meeting(meeting_id),
                                          password=body.password)


@router.post("/dsmb/meetings/{meeting_id}/recommendation", response={201: dict})
@endpoint(Permission.RECOMMEND, record_readers=None)
@idempotent("dsmb.sign_recommendation", before=_check_password_first)
def sign_recommendation(request: HttpRequest, meeting_id: int,
                        body: SignedRecommendationIn) -> Status:
    """Record the DSMB's recommendation of a meeting with an e-signature (password)."""
    actor = request_actor(request)
    signed = actions.do_sign_recommendation(
        actor, presenters.access_meeting(meeting_id), decision=body.decision,
        rationale=body.rationale, password=body.password)
    return Status(201, presenters.recommendation_view(actor, signed.recommendation))


@router.post("/dsmb/recommendations/{recommendation_id}/response", response={201: dict})
@endpoint(Permission.RESPOND_RECOMMENDATION, record_readers=None)
@idempotent("dsmb.respond")
def respond(request: HttpRequest, recommendation_id: int, body: ResponseIn) -> Status:
    """Record the sponsor's response to a DSMB recommendation."""
    actor = request_actor(request)
    answer = actions.do_respond_recommendation(actor, recommendation_id,
                                               response=body.response, text=body.text)
    return Status(201, presenters.recommendation_view(actor, answer.recommendation))
