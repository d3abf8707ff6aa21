"""The amendment log in the JSON API, under /api/v1/amendments.

List and read the protocol's versions (with the classified changes of each against the one
before, and each site's ethics approval); record an amendment and a site's approval
(``manage_protocol``). A refused amendment (an invalid file, a randomization change once the
allocation list is loaded) is answered 422 naming the field and the rule; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.web.amendments import access, actions, presenters
from trialdesk.web.amendments.models import REASON_MAX, ProtocolVersion
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent

router = Router(tags=["amendments"])

LOG = "/amendments"
ONE = "/amendments/{number}"


class AmendmentIn(Idempotent):
    toml_text: str = Field(min_length=1, max_length=actions.TEXT_MAX,
                           description="the whole amended protocol file (TOML)")
    effective_date: dt.date
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class ApprovalIn(Idempotent):
    site: str = Field(min_length=1, max_length=5)
    approval_date: dt.date = Field(description="the ethics committee's approval at the site")


@router.get(LOG)
@endpoint(access.READERS, record_readers=access.READERS)
def list_versions(request: HttpRequest) -> list[dict[str, Any]]:
    """The recorded protocol versions, oldest first (none before the first amendment)."""
    versions = ProtocolVersion.objects.select_related("recorded_by").order_by("number")
    return [presenters.version_summary(v) for v in versions]


@router.get(ONE)
@endpoint(access.READERS, record_readers=access.READERS)
def get_version(request: HttpRequest, number: int) -> dict[str, Any]:
    """One version: its changes against the version before, grouped by category in
    ``changes``, and each site's approval (and whether the version is in force there)."""
    return presenters.version_view(access.access_version(number))


@router.post(LOG, response={201: dict})
@endpoint(access.MANAGE, record_readers=access.READERS)
@idempotent("amendments.amend")
def amend(request: HttpRequest, body: AmendmentIn) -> Status:
    """Record an amendment: the new protocol file, its effective date and why."""
    version = actions.do_amend_protocol(request_actor(request), body.toml_text,
                                        effective_date=body.effective_date, reason=body.reason)
    return Status(201, presenters.version_view(version))


@router.post(ONE + "/approvals", response={201: dict})
@endpoint(access.MANAGE, record_readers=access.READERS)
@idempotent("amendments.approve")
def approve(request: HttpRequest, number: int, body: ApprovalIn) -> Status:
    """Record a site's ethics approval of an amendment: the site works under it from then."""
    version = access.access_version(number)
    actions.do_record_site_approval(request_actor(request), version, access.site_by_code(body.site),
                                    body.approval_date)
    return Status(201, presenters.version_view(version))
