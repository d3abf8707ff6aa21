"""A participant's consent in the JSON API (issue 17), under /api/v1/participants/{code}/consent/.

The first consent is posted to ``/participants/{code}/consent`` (``api.router``); here: its
history, the later events (capacity regained, the participant's own confirmation or refusal, a
withdrawal at a level, a re-consent on another version) and the open "ask for own consent" tasks.
Whoever may read the participant reads the history; whoever may enroll writes the events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.web.core import clock
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.idempotency import FIELD, Idempotent, idempotent
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.trials import access, actions
from trialdesk.web.trials.consent_presenters import consent_history, event_view
from trialdesk.web.trials.consent_state import capacity_tasks, reconsent_tasks

router = Router(tags=["consent"])
ONE = "/participants/{code}/consent"

Level = Literal["treatment", "follow_up", "all_data"]
Signer = Literal["participant", "lar"]


class EventIn(Idempotent):
    date: dt.date
    note: str = Field("", max_length=2000)


class ConfirmationIn(EventIn):
    witness_name: str = Field("", max_length=200)


class WithdrawalIn(Idempotent):
    date: dt.date
    level: Level = Field(description="treatment: the study treatment only; follow_up: also the "
                                     "follow-up visits; all_data: all further data collection")
    data_use: bool = Field(description="whether the data collected so far may be used")
    reason: str = Field("", max_length=2000)


class ReconsentIn(Idempotent):
    date: dt.date
    form_version: str = Field(min_length=1, max_length=40)
    language: str = Field("", max_length=10)
    signer: Signer = "participant"
    lar_name: str = Field("", max_length=200)
    lar_relationship: str = Field("", max_length=100)
    signer_can_read: bool = True
    witness_name: str = Field("", max_length=200)
    obtained_by: str | None = Field(None, max_length=150, description="username; default: you")


@router.get(ONE + "/history")
@endpoint(READ_PARTICIPANTS)
def history(request: HttpRequest, code: str) -> dict[str, Any]:
    """The participant's consent, its later events in order and the withdrawal in force."""
    participant = access.access_participant_by_code(request_actor(request), code)
    return consent_history(participant)


@router.post(ONE + "/capacity-regained", response={201: dict})
@endpoint("enroll")
@idempotent("consent.capacity_regained")
def capacity_regained(request: HttpRequest, code: str, body: EventIn) -> Status:
    """The participant a representative consented for can now decide: ask them by the due date."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    event = actions.do_record_capacity_regained(actor, participant, date=body.date,
                                                note=body.note)
    return Status(201, event_view(event))


@router.post(ONE + "/confirmation", response={201: dict})
@endpoint("enroll")
@idempotent("consent.confirmation")
def confirmation(request: HttpRequest, code: str, body: ConfirmationIn) -> Status:
    """The participant, asked on regaining capacity, consents: they continue."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    event = actions.do_confirm_consent(actor, participant, date=body.date,
                                       witness_name=body.witness_name, note=body.note)
    return Status(201, event_view(event))


@router.post(ONE + "/refusal", response={201: dict})
@endpoint("enroll")
@idempotent("consent.refusal")
def refusal(request: HttpRequest, code: str, body: EventIn) -> Status:
    """The participant, asked on regaining capacity, refuses: the protocol's data rule applies."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    event = actions.do_refuse_consent(actor, participant, date=body.date, note=body.note)
    return Status(201, event_view(event))


@router.post(ONE + "/withdrawal", response={201: dict})
@endpoint("enroll")
@idempotent("consent.withdrawal")
def withdrawal(request: HttpRequest, code: str, body: WithdrawalIn) -> Status:
    """A withdrawal of consent at a level, and whether the data collected may be used."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    event = actions.do_withdraw_consent(actor, participant, date=body.date, level=body.level,
                                        data_use=body.data_use, reason=body.reason)
    return Status(201, event_view(event))


@router.post(ONE + "/reconsent", response={201: dict})
@endpoint("enroll")
@idempotent("consent.reconsent")
def reconsent(request: HttpRequest, code: str, body: ReconsentIn) -> Status:
    """A signature on another approved version of the consent document."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    event = actions.do_reconsent(actor, participant, **body.dict(exclude={FIELD}))
    return Status(201, event_view(event))


@router.get("/consent/tasks")
@endpoint(READ_PARTICIPANTS)
def tasks(request: HttpRequest) -> list[dict[str, Any]]:
    """Participants to ask for their own consent (capacity regained), soonest due first; a site
    role sees its own site's."""
    actor = request_actor(request)
    site = actor.site if actor.policy.is_site_scoped(actor.role) else None
    today = clock.today()
    return [{"participant": task.participant_code, "site": task.site_code,
             "capacity_regained_on": task.capacity_regained_on.isoformat(),
             "due": task.due.isoformat(), "overdue": task.overdue(today)}
            for task in capacity_tasks(site)]


@router.get("/consent/reconsent-tasks")
@endpoint(READ_PARTICIPANTS)
def reconsent_task_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Participants still in follow-up to ask to sign the consent version an approved amendment
    put in force at their site, soonest due first; a site role sees its own site's."""
    actor = request_actor(request)
    site = actor.site if actor.policy.is_site_scoped(actor.role) else None
    today = clock.today()
    return [{"participant": task.participant_code, "site": task.site_code,
             "signed_version": task.signed_version, "version": task.version,
             "since": task.since.isoformat(), "due": task.due.isoformat(),
             "overdue": task.overdue(today)}
            for task in reconsent_tasks(site)]
