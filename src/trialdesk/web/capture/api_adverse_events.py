"""Adverse events in the JSON API, under /api/v1/participants/{code}/adverse-events.

An adverse event is an entry of the protocol's repeating form that needs ``report_ae``, kept
under the log visit (``capture.access.LOG_VISIT``) like every repeating form that no visit lists.
Reporting one creates the next entry (sequence = the next free number) through ``do_save_form``,
so it is validated by the protocol's rules and audited exactly as the same form entered on its
page.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.db.models import Max
from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from trialdesk.blinding import Permission
from trialdesk.web.capture import actions, presenters
from trialdesk.web.capture.access import LOG_VISIT, access_form_slot
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import Conflict, NotFound
from trialdesk.web.core.idempotency import Idempotent, idempotent
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials import access
from trialdesk.web.trials.models import Participant

router = Router(tags=["adverse events"])

AE_PATH = "/participants/{code}/adverse-events"
# Two reports for one participant at the same moment may both pick the same next number; the
# one that finds it taken (or fails on the unique slot) retries with the number after it.
ATTEMPTS = 5


class AdverseEventIn(Idempotent):
    """The values of the protocol's adverse-event form, by field code."""

    values: dict[str, Any]
    # warnings (e.g. onset before randomization) are confirmed by their field or check code
    confirm: list[str] = Field(default_factory=list)
    # a report is complete unless sent as a draft (to be completed on the form later)
    complete: bool = True


def _ae_form_code() -> str:
    # the protocol's repeating form that needs report_ae is its adverse-event log
    form = next((form for form in get_protocol().forms
                 if form.repeating and form.permission == Permission.REPORT_AE), None)
    if form is None:
        raise NotFound("the protocol has no repeating adverse-event form")
    return form.code


def _next_seq(participant: Participant, form: str) -> int:
    last = FormInstance.objects.filter(participant=participant, visit=LOG_VISIT,
                                       form=form).aggregate(last=Max("seq"))["last"]
    return (last or 0) + 1


def _view(slot: Any) -> dict[str, Any]:
    return {"key": slot.key, **presenters.form_view(slot)}


def _rejected(error: FormRejected) -> Status:
    fields = error.as_fields()
    names = ", ".join(problem["field"] for problem in fields)
    return Status(422, {"error": "invalid", "detail": f"rejected fields: {names}",
                        "fields": fields})


@router.get(AE_PATH)
@endpoint(READ_PARTICIPANTS)
def list_adverse_events(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    """The participant's adverse events, in the order reported, each with its values, status,
    warnings, signatures and queries."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    form = _ae_form_code()
    seqs = FormInstance.objects.filter(participant=participant, visit=LOG_VISIT,
                                       form=form).order_by("seq").values_list("seq", flat=True)
    return [_view(access_form_slot(actor, participant.code, LOG_VISIT, form, seq))
            for seq in seqs]


@router.post(AE_PATH, response={201: dict, 422: dict})
@endpoint(Permission.REPORT_AE)
@idempotent("capture.report_adverse_event")
def report_adverse_event(request: HttpRequest, code: str, body: AdverseEventIn) -> Status:
    """Report an adverse event: the next entry of the adverse-event log form, with its values.

    Values are checked by the protocol's rules: a hard error, or an unconfirmed warning on a
    complete report, answers 422 naming each field and nothing is stored. The answer (201) is the
    new entry: its key (participant/log/form/seq) and its values. The entry is saved by
    ``do_save_form``, so the role needs ``enter_forms`` too (the bundled protocol's reporters,
    investigator and coordinator, hold both); once the database is locked the answer is 409.
    With an ``idempotency_key`` a retry answers the first entry and reports nothing again.
    """
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    form = _ae_form_code()
    for _ in range(ATTEMPTS):
        slot = access_form_slot(actor, participant.code, LOG_VISIT, form,
                                _next_seq(participant, form))
        if slot.instance is not None:
            continue  # another report took this number since: never save over it
        try:
            actions.do_save_form(actor, slot, values=body.values, complete=body.complete,
                                 confirm=body.confirm)
        except FormRejected as error:
            return _rejected(error)
        except IntegrityError:
            continue  # another report created this number between the check and the save
        return Status(201, _view(access_form_slot(actor, participant.code, LOG_VISIT, form,
                                                  slot.seq)))
    raise Conflict("busy", "adverse events are being reported for this participant; retry")
