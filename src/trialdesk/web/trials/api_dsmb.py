"""DSMB recommendations in the JSON API, under /api/v1/dsmb/.

The DSMB statistician records them (``recommend``). The decision is for the sponsor too, so the
roles that read the audit trail (the administrator) read the list as well; but a rationale can
reveal the arms ("more deaths with MSC"), so it is returned only to roles that hold ``recommend``
or ``unblinded_reports`` (the DSMB), and left out of the answer, the audit trail and the e-mail for
everyone else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.trials.actions import do_record_recommendation
from trialdesk.web.trials.models import DsmbRecommendation

router = Router(tags=["dsmb"])

# Who reads the recommendations, and who of them also reads the rationale.
READ_RECOMMENDATIONS = (Permission.RECOMMEND, Permission.UNBLINDED_REPORTS, Permission.READ_AUDIT)
READ_RATIONALE = (Permission.RECOMMEND, Permission.UNBLINDED_REPORTS)

Decision = Literal["continue", "continue_with_modifications", "pause_enrollment",
                   "stop_for_safety", "stop_for_efficacy", "stop_for_futility"]


class RecommendationIn(Idempotent):
    meeting_date: dt.date
    decision: Decision
    rationale: str = Field(min_length=10, max_length=10000)


def recommendation_view(actor: Actor, record: DsmbRecommendation) -> dict[str, Any]:
    """Return one recommendation; the rationale only for a role that may read it."""
    view: dict[str, Any] = {
        "id": record.pk, "meeting_date": record.meeting_date.isoformat(),
        "decision": record.decision, "decision_label": record.get_decision_display(),
        "recorded_by": record.recorded_by.get_username(),
        "recorded_at": record.recorded_at.isoformat(),
    }
    if actor.can_any(READ_RATIONALE):
        view["rationale"] = record.rationale
    return view


@router.get("/dsmb/recommendations")
@endpoint(READ_RECOMMENDATIONS)
def list_recommendations(request: HttpRequest) -> list[dict[str, Any]]:
    """The DSMB's recommendations, newest meeting first (DSMB, sponsor's administrator).

    Everyone allowed here sees the decision, the meeting date and who recorded it; the rationale
    is returned only to roles with ``recommend`` or ``unblinded_reports`` (it may reveal arms).
    """
    actor = request_actor(request)
    records = DsmbRecommendation.objects.select_related("recorded_by").order_by(
        "-meeting_date", "-recorded_at", "-pk")
    return [recommendation_view(actor, record) for record in records]


@router.post("/dsmb/recommendations", response={201: dict})
@endpoint(Permission.RECOMMEND)
@idempotent("dsmb.record_recommendation")
def record_recommendation(request: HttpRequest, body: RecommendationIn) -> Status:
    """Record the DSMB's recommendation of a meeting: continue, continue with modifications,
    pause enrollment, or stop for safety, efficacy or futility, with the rationale (at least 10
    characters; the meeting not in the future). Audited without the rationale; the sponsor and
    the DSMB are notified of the decision."""
    actor = request_actor(request)
    record = do_record_recommendation(actor, meeting_date=body.meeting_date,
                                      decision=body.decision, rationale=body.rationale)
    return Status(201, recommendation_view(actor, record))
