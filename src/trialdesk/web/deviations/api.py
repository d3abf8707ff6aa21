"""The deviation log in the JSON API, under /api/v1/deviations.

Site staff report and follow up their own site's deviations; monitors and data managers any
site's, and they close and reopen them. Every reader of the log gets the same fields, except the
unblinding details, answered only to roles that see the arm concerned (``presenters``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from trialdesk import deviations as rules
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.schemas import Strict
from trialdesk.web.deviations import access, actions, export, listing, presenters
from trialdesk.web.deviations.models import REFERENCE_MAX, TEXT_MAX
from trialdesk.web.trials.access import access_participant_by_code

router = Router(tags=["deviations"])

Severity = Literal[rules.SEVERITIES]  # type: ignore[valid-type]
Method = Literal[rules.DISCOVERY_METHODS]  # type: ignore[valid-type]
ONE = "/deviations/{deviation_id}"
READERS = tuple(str(p) for p in access.READ_DEVIATIONS)


class DeviationChange(Strict):
    """The values to change (others keep theirs); ``null`` clears an optional one."""

    category: str | None = Field(None, max_length=40)
    severity: Severity | None = None
    description: str | None = Field(None, max_length=TEXT_MAX)
    occurred_on: dt.date | None = None
    discovered_on: dt.date | None = None
    discovered_by: str | None = Field(None, max_length=150,
                                      description="username; default: the reporter")
    discovery_method: Method | None = None
    corrective_action: str | None = Field(None, max_length=TEXT_MAX)
    preventive_action: str | None = Field(None, max_length=TEXT_MAX)
    capa_owner: str | None = Field(None, max_length=150, description="username")
    capa_due_on: dt.date | None = None
    capa_completed_on: dt.date | None = None
    ethics_reported_on: dt.date | None = None
    ethics_reference: str | None = Field(None, max_length=REFERENCE_MAX)
    unblinding_details: str | None = Field(
        None, max_length=TEXT_MAX,
        description="what may reveal an arm (allocation categories only); readable only by "
                    "roles that see the arm; \"\" clears it")


class DeviationIn(DeviationChange, Idempotent):
    site: str | None = Field(None, max_length=5, description="default: the caller's site, or "
                                                             "the participant's")
    participant: str | None = Field(None, max_length=20, description="none: site-level")


class DeviationUpdate(DeviationChange):
    reason: str = Field(min_length=1, max_length=TEXT_MAX)
    expected_version: int | None = Field(None, ge=1, le=2**31)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


def _values(body: DeviationChange, exclude: set[str]) -> dict[str, Any]:
    return body.model_dump(exclude={"unblinding_details", *exclude}, exclude_unset=True)


def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "en")[:2]


@router.get("/deviations")
@endpoint(READERS)
def list_deviations(request: HttpRequest, status: str = "", severity: str = "",
                    category: str = "", site: str = "", participant: str = "",
                    ethics: str = Query("", description="not_required, due, overdue or "
                                                        "reported")) -> list[dict[str, Any]]:
    """The deviations the caller may see (site staff: their site), most recently discovered
    first, each with its ethics report's state (overdue included) and CAPA."""
    actor = request_actor(request)
    found = listing.filtered(actor, {"status": status, "severity": severity,
                                     "category": category, "site": site,
                                     "participant": participant, "ethics": ethics})
    return presenters.deviation_views(actor, found, _lang(request))


@router.get("/deviations.csv")
@endpoint(READERS)
def export_deviations(request: HttpRequest, status: str = "", severity: str = "",
                      category: str = "", site: str = "", participant: str = "",
                      ethics: str = "") -> HttpResponse:
    """The deviation log as CSV (the same filters and fields as the list)."""
    actor = request_actor(request)
    found = listing.filtered(actor, {"status": status, "severity": severity,
                                     "category": category, "site": site,
                                     "participant": participant, "ethics": ethics})
    return export.csv_response(actor, found, _lang(request))


@router.post("/deviations", response={201: dict})
@endpoint(access.REPORT)
@idempotent("deviations.report_deviation")
def report_deviation(request: HttpRequest, body: DeviationIn) -> Status:
    """Report a deviation: at the caller's site (site staff) or any site (monitor, data
    manager); of a participant, or site-level. A major one's ethics report falls due. With an
    ``idempotency_key`` a retry answers the first deviation and reports none again."""
    actor = request_actor(request)
    participant = (access_participant_by_code(actor, body.participant)
                   if body.participant else None)
    site_code = body.site or (participant.site.code if participant else None)
    site = access.reporting_site(actor, site_code)
    deviation = actions.do_report_deviation(
        actor, site, participant,
        values_in=_values(body, {"site", "participant", "idempotency_key"}),
        unblinding_details=body.unblinding_details or "")
    return Status(201, presenters.deviation_view(actor, deviation, _lang(request)))


@router.get(ONE)
@endpoint(READERS, record_readers=READERS)
def get_deviation(request: HttpRequest, deviation_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    return presenters.deviation_view(actor, access.access_deviation(actor, deviation_id),
                                     _lang(request))


@router.patch(ONE)
@endpoint(access.REPORT, record_readers=READERS)
def update_deviation(request: HttpRequest, deviation_id: int,
                     body: DeviationUpdate) -> dict[str, Any]:
    """Change values, the CAPA or the ethics report, with the reason (audited)."""
    actor = request_actor(request)
    deviation = access.access_deviation(actor, deviation_id)
    deviation = actions.do_update_deviation(
        actor, deviation, values_in=_values(body, {"reason", "expected_version"}),
        reason=body.reason, unblinding_details=body.unblinding_details,
        expected_version=body.expected_version)
    return presenters.deviation_view(actor, deviation, _lang(request))


@router.post(ONE + "/close")
@endpoint(access.REPORT, record_readers=READERS)
def close_deviation(request: HttpRequest, deviation_id: int, body: ReasonIn) -> dict[str, Any]:
    """Close (monitor, data manager): the CAPA completed and, if major, reported to ethics."""
    actor = request_actor(request)
    deviation = actions.do_close_deviation(
        actor, access.access_deviation(actor, deviation_id), reason=body.reason)
    return presenters.deviation_view(actor, deviation, _lang(request))


@router.post(ONE + "/reopen")
@endpoint(access.REPORT, record_readers=READERS)
def reopen_deviation(request: HttpRequest, deviation_id: int, body: ReasonIn) -> dict[str, Any]:
    actor = request_actor(request)
    deviation = actions.do_reopen_deviation(
        actor, access.access_deviation(actor, deviation_id), reason=body.reason)
    return presenters.deviation_view(actor, deviation, _lang(request))
