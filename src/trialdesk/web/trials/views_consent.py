"""The consent pages (issue 17): record the first consent (on the participant's page, see
``views.participant_detail``, through :func:`record_consent`), a participant's consent history,
and the later events. Each view checks access, calls an action and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, DatabaseLocked, Forbidden, InvalidInput
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.core.uploads import uploads_too_large
from trialdesk.web.trials import access, actions
from trialdesk.web.trials.consent_forms import (
    KIND_LABELS,
    LEVEL_LABELS,
    SIGNER_LABELS,
    ConsentForm,
    EventForm,
    ReconsentForm,
    WithdrawalForm,
)
from trialdesk.web.trials.consent_presenters import consent_history
from trialdesk.web.trials.consent_state import capacity_tasks, reconsent_tasks
from trialdesk.web.trials.models import Participant
from trialdesk.web.trials.site_rules import SiteNotActive, refusal_text

EVENT_ACTIONS = {
    "capacity-regained": actions.do_record_capacity_regained,
    "confirmation": actions.do_confirm_consent,
    "refusal": actions.do_refuse_consent,
}
EVENT_KINDS = (*EVENT_ACTIONS, "withdrawal")  # one page each (urls.py)


def record_consent(request: HttpRequest, actor: Actor, participant: Participant,
                   form: ConsentForm) -> int:
    """Record the posted first consent; return the HTTP status (the form has any errors)."""
    if uploads_too_large(request):
        form.add_error("document", _("The file is larger than the upload limit."))
        return 413
    if not form.is_valid():
        return 422
    data = dict(form.cleaned_data)
    upload = data.pop("document", None)
    document = actions.Document(upload.name, upload.read()) if upload else None
    try:
        actions.do_consent(actor, participant, document=document,
                           obtained_by=data.pop("obtained_by") or None, **data)
    except InvalidInput as error:
        form.add_error(error.field if error.field in form.fields else None, error.rule)
        return 422
    except DatabaseLocked:
        raise
    except SiteNotActive as error:
        form.add_error(None, refusal_text(error))
        return 409
    except (Conflict, Forbidden) as error:
        form.add_error(None, str(error))
        return 409
    messages.success(request, _("Consent recorded."))
    return 201


def _labelled(history: dict[str, Any]) -> dict[str, Any]:
    """The history with labels in the reader's language for codes shown on the page."""
    consent = history["consent"]
    if consent is not None:
        consent["signer_label"] = SIGNER_LABELS.get(consent["signer"], consent["signer"])
    for event in history["events"]:
        event["kind_label"] = KIND_LABELS.get(event["kind"], event["kind"])
        if "level" in event:
            event["level_label"] = LEVEL_LABELS.get(event["level"], event["level"])
    if history["withdrawal"] is not None:
        level = history["withdrawal"]["level"]
        history["withdrawal"]["level_label"] = LEVEL_LABELS.get(level, level)
    return history


@require_GET  # outermost: a POST is 405 for every role, not 403 for some
@page(READ_PARTICIPANTS)
def consent_page(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The participant's consent history, and the forms of the later events."""
    participant = access.access_participant_by_code(actor, code)
    history = _labelled(consent_history(participant))
    open_task = next((t for t in capacity_tasks(participant.site.code)
                      if t.participant_id == participant.pk), None)
    reconsent_task = next((t for t in reconsent_tasks(participant.site.code)
                           if t.participant_id == participant.pk), None)
    return render(request, "trials/consent.html", {
        "actor": actor, "code": participant.code, "history": history, "task": open_task,
        "event_form": EventForm(), "withdrawal_form": WithdrawalForm(),
        "reconsent_task": reconsent_task,
        "reconsent_overdue": reconsent_task is not None and reconsent_task.overdue(clock.today()),
        "reconsent_form": ReconsentForm(participant=participant, version=(
            reconsent_task.version if reconsent_task is not None else None)),
    })


@require_POST
@page("enroll")
def reconsent(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Record a signature on another approved version of the consent document (re-consent
    after an amendment), with who signed, the witness and the person obtaining it."""
    participant = access.access_participant_by_code(actor, code)
    form = ReconsentForm(request.POST, participant=participant)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("trials:consent", code=participant.code)
    data = dict(form.cleaned_data)
    try:
        actions.do_reconsent(
            actor, participant, date=data["consent_date"], form_version=data["form_version"],
            language=data["language"], signer=data["signer"], lar_name=data["lar_name"],
            lar_relationship=data["lar_relationship"],
            signer_can_read=data["signer_can_read"], witness_name=data["witness_name"],
            obtained_by=data["obtained_by"] or None)
    except DatabaseLocked:
        raise
    except InvalidInput as error:
        messages.error(request, f"{error.field}: {error.rule}")
    except (Conflict, Forbidden) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Re-consent recorded."))
    return redirect("trials:consent", code=participant.code)


@require_POST
@page("enroll")
def consent_event(request: HttpRequest, actor: Actor, code: str, kind: str) -> HttpResponse:
    """Record a later consent event (capacity regained, confirmation, refusal, withdrawal)."""
    participant = access.access_participant_by_code(actor, code)
    form = WithdrawalForm(request.POST) if kind == "withdrawal" else EventForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("trials:consent", code=participant.code)
    data = form.cleaned_data
    try:
        if kind == "withdrawal":
            actions.do_withdraw_consent(actor, participant, date=data["date"],
                                        level=data["level"], data_use=data["data_use"] == "yes",
                                        reason=data["reason"])
        else:
            EVENT_ACTIONS[kind](actor, participant, date=data["date"], note=data["note"])
    except DatabaseLocked:
        raise
    except InvalidInput as error:
        messages.error(request, f"{error.field}: {error.rule}")
    except (Conflict, Forbidden) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Recorded."))
    return redirect("trials:consent", code=participant.code)
