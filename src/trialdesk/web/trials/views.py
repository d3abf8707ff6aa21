"""Server-rendered pages. Each view checks access, calls an action, and renders: nothing more."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trialdesk.protocol import Protocol
from trialdesk.site_status import Activity
from trialdesk.web.core.actor import Actor, require
from trialdesk.web.core.errors import Conflict, DatabaseLocked, InvalidInput
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import ANY_ROLE, READ_AUDIT, READ_PARTICIPANTS
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.core.timezones import local_time
from trialdesk.web.trials import access, actions, presenters
from trialdesk.web.trials import audit_presenter as audit_words
from trialdesk.web.trials import audit_trail as trail
from trialdesk.web.trials.actions.final_unblinding import (
    APPROVE_PERMISSION,
    REQUEST_PERMISSION,
    current_final_unblinding,
)
from trialdesk.web.trials.consent_forms import ConsentForm
from trialdesk.web.trials.forms import (
    DispenseForm,
    FinalUnblindingForm,
    RandomizeForm,
    ScreeningForm,
    UnblindForm,
)
from trialdesk.web.trials.models import UnblindingEvent
from trialdesk.web.trials.screening_version import actor_screening_protocol, screening_protocol
from trialdesk.web.trials.site_rules import SiteNotActive, refusal_text
from trialdesk.web.trials.site_rules import notice as site_notice
from trialdesk.web.trials.unblinding_visibility import sees_unblinding_events
from trialdesk.web.trials.views_consent import record_consent


def _lang() -> str:
    return (get_language() or "en")[:2]


def _unblindings(actor: Actor) -> list[UnblindingEvent]:
    """The emergency unblindings, for roles allowed to know which participants they concern."""
    if not sees_unblinding_events(actor):
        return []
    return list(UnblindingEvent.objects.select_related("participant", "requested_by")
                .order_by("at"))


@page(ANY_ROLE)
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not access.can_read_participants(actor):
        if actor.can("view_kit_arm"):
            return redirect("trials:pharmacy")
        # the sponsor's safety contact reads no participant but follows the unblindings
        return render(request, "trials/dashboard.html", {"actor": actor, "rows": [],
                                                         "unblindings": _unblindings(actor)})
    participants = access.visible_participants(actor).select_related(
        "randomization__slot", "consent").order_by("-created_at")
    # each row's next visit comes from data capture's schedule (the template's next_visits_of)
    rows = [presenters.participant_view(actor, participant, _lang())
            for participant in participants]
    counts = {
        "screened": len(rows),
        "eligible": sum(r["eligible"] for r in rows),
        "randomized": sum(r["status"] == "randomized" for r in rows),
    }
    return render(request, "trials/dashboard.html", {
        "actor": actor, "rows": rows, "counts": counts, "unblindings": _unblindings(actor),
        "trial": get_protocol().registry,
    })


@page(READ_PARTICIPANTS)
@require_http_methods(["GET", "POST"])
def participant_detail(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    participant = access.access_participant_by_code(actor, code)
    consent_form = ConsentForm(request.POST or None, request.FILES or None,
                               participant=participant)
    status = 200
    if request.method == "POST":
        require(actor, "enroll")
        # the consent's pages and rules: views_consent, actions.consent (issue 17)
        status = record_consent(request, actor, participant, consent_form)
        if status == 201:
            return redirect("trials:participant", code=participant.code)
    view = presenters.participant_view(actor, participant, _lang())
    # read under the version the patient was screened under (issue 17)
    screened_under = screening_protocol(participant.screening)
    return render(request, "trials/participant.html", {
        "actor": actor, "p": view, "participant": participant,
        "eligibility": presenters.eligibility_view(participant.screening.values, _lang(),
                                                   screened_under),
        "values": _labelled_values(participant.screening.values, screened_under),
        "consent_form": consent_form,
    }, status=status)


def _labelled_values(values: dict, protocol: Protocol) -> list[tuple[str, object]]:
    """Each screening value by its field's label in ``protocol``, a choice by its label (not its
    code)."""
    fields = protocol.all_fields()
    language = _lang()
    shown = []
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            shown.append((key, value))
            continue
        choices = {choice.code: choice.label.text(language) for choice in field.choices or []}
        shown.append((field.label.text(language),
                       choices.get(value, value) if isinstance(value, str) else value))
    return shown


@page("screen")
@require_http_methods(["GET", "POST"])
def screen(request: HttpRequest, actor: Actor) -> HttpResponse:
    # the fields and ranges of the version in force at the user's site (issue 17)
    form = ScreeningForm(request.POST or None, language=_lang(),
                         protocol=actor_screening_protocol(actor))
    if request.method == "POST" and form.is_valid():
        try:
            participant = actions.do_screen(actor, values=form.values())
        except InvalidInput as error:
            form.add_error(error.field.removeprefix("values.") if error.field.removeprefix(
                "values.") in form.fields else None, error.rule)
        except SiteNotActive as error:  # beside the button; the values stay in the form
            form.add_error(None, refusal_text(error))
            return render(request, "trials/screen.html", {"actor": actor, "form": form},
                          status=409)
        else:
            return redirect("trials:participant", code=participant.code)
    # said before anything is typed (the action refuses it in any case)
    return render(request, "trials/screen.html", {
        "actor": actor, "form": form, "site_notice": site_notice(actor.site, Activity.SCREEN)})


@page("screen")
@require_POST
def screen_check(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The live eligibility panel of the screening form (an HTML fragment, nothing stored)."""
    protocol = actor_screening_protocol(actor)  # as do_screen will evaluate them
    form = ScreeningForm(request.POST, language=_lang(), protocol=protocol)
    values = {}
    if form.is_valid():
        values = form.values()
    else:
        values = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    values = {k: (v == "yes") if v in ("yes", "no") else v for k, v in values.items()}
    return render(request, "trials/_eligibility.html",
                  {"eligibility": presenters.eligibility_view(values, _lang(), protocol)})


@page("randomize")
@require_http_methods(["GET", "POST"])
def randomize(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    participant = access.access_participant_by_code(actor, code)
    form = RandomizeForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.do_randomize(actor, participant,
                                          idempotency_key=form.cleaned_data["idempotency_key"])
        except DatabaseLocked:
            raise
        except SiteNotActive as error:
            messages.error(request, refusal_text(error))
            return redirect("trials:participant", code=participant.code)
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("trials:participant", code=participant.code)
        return render(request, "trials/randomized.html", {"actor": actor, "result": result})
    view = presenters.participant_view(actor, participant, _lang())
    return render(request, "trials/randomize.html", {"actor": actor, "p": view, "form": form})


@page("view_kit_arm")
@require_http_methods(["GET", "POST"])
def pharmacy(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = DispenseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        slot = access.access_kit_by_code(actor, form.cleaned_data["kit_code"])
        try:
            actions.do_dispense(actor, slot, lot=form.cleaned_data["lot"])
        except DatabaseLocked:
            raise
        except (Conflict, InvalidInput) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Dispensing recorded."))
        return redirect("trials:pharmacy")
    # the kits still to prepare first, the longest waiting on top; then those dispensed
    slots = sorted(access.visible_kits(actor),
                   key=lambda slot: (hasattr(slot, "dispensing"),
                                     slot.randomization.randomized_at, slot.kit_code))
    kits = [{**presenters.kit_view(slot, _lang()),
             "randomized": local_time(slot.randomization.randomized_at, seconds=False)}
            for slot in slots]
    return render(request, "trials/pharmacy.html", {"actor": actor, "kits": kits})


@page("request_unblinding")
@require_http_methods(["GET", "POST"])
def unblind(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    participant = access.access_participant_by_code(actor, code)
    form = UnblindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            arm = actions.do_unblind(actor, participant, reason=form.cleaned_data["reason"])
        except DatabaseLocked:
            raise
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("trials:participant", code=participant.code)
        return render(request, "trials/unblinded.html", {
            "actor": actor, "code": participant.code,
            "arm_label": presenters.arm_label(arm, _lang()),
        })
    return render(request, "trials/unblind.html", {"actor": actor, "code": participant.code,
                                                   "form": form})


@page(ANY_ROLE)
@require_http_methods(["GET", "POST"])
def final_unblinding(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The final unblinding after database lock: the data manager asks, the DSMB approves."""
    form = FinalUnblindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        write = (actions.do_approve_final_unblinding if actor.can(APPROVE_PERMISSION)
                 else actions.do_request_final_unblinding)
        try:
            write(actor, reason=form.cleaned_data["reason"])
        except Conflict as error:
            return render(request, "core/refused.html", {"actor": actor, "error": error},
                          status=409)
        return redirect("trials:final_unblinding")
    record = current_final_unblinding()
    return render(request, "trials/final_unblinding.html", {
        "actor": actor, "record": record, "form": form,
        "may_request": actor.can(REQUEST_PERMISSION) and record is None,
        "may_approve": (actor.can(APPROVE_PERMISSION) and record is not None
                        and record.approved_at is None),
    })


@page(READ_AUDIT)
def audit_trail(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The audit trail, newest first: as stored, or redacted for a blinded reader."""
    full = trail.reads_full_trail(actor)
    paginator = Paginator(trail.readable_records(actor, newest_first=True), 50)
    records = paginator.get_page(request.GET.get("page"))
    rows = [trail.record_view(record, full=full) for record in records]
    protocol, language = get_protocol(), get_language() or "en"
    for row in rows:  # a timed record to the second; a pharmacy record of a blinded view: its day
        row["when"] = audit_words.when(row["at"])
        row["action_label"] = audit_words.action_label(row["action"])
        row["record_label"] = audit_words.record_label(row, protocol, language)
        row["change_rows"] = audit_words.change_rows(row, protocol, language)
    # codes (action, model, field) only when asked for: the trail's readers check records
    # against the API and the exports, which keep them
    return render(request, "trials/audit.html", {
        "actor": actor, "records": records, "rows": rows, "full": full,
        "may_show_codes": True, "show_codes": request.GET.get("codes") == "1"})
