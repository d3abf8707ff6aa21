"""Pages of one participant: the visit schedule, a case report form, signing.

Each view checks access, calls an action, and renders. A refused write (a lock, a state conflict)
re-renders with status 409; a rejected value with 422 and the problem beside its field.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trialdesk.blinding import Permission
from trialdesk.protocol import Protocol
from trialdesk.protocol.visit_state import next_visit
from trialdesk.web.amendments.versions import protocol_for_site
from trialdesk.web.capture import actions, presenters
from trialdesk.web.capture.access import LOG_VISIT, FormSlot, access_form_slot, access_visit
from trialdesk.web.capture.actions.forms import validate_slot, warning_code
from trialdesk.web.capture.actions.signatures import signature_meaning
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.forms import (
    attach_problems,
    build_form_class,
    display_number,
    entered_from_post,
    initial_values,
)
from trialdesk.web.capture.messages import (
    field_labels,
    problem_text,
    query_text,
    stored_warning,
)
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.capture.prefill import prefill_for
from trialdesk.web.capture.schedule import participant_schedule
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.locks import database_locked
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import READ_PARTICIPANTS
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials import access
from trialdesk.web.trials.consent_state import refuse_form_entry, withdrawal
from trialdesk.web.trials.models import Participant


def _lang() -> str:
    return (get_language() or "en")[:2]


def _seq(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("seq") or request.POST.get("seq") or 1)
    except ValueError:
        return 0  # no such slot: access_form_slot answers 404


def refused(request: HttpRequest, actor: Actor, error: Conflict) -> HttpResponse:
    """Render a write the trial's state refuses (locks, wrong status) with status 409."""
    return render(request, "capture/refused.html", {"actor": actor, "error": error}, status=409)


@page(READ_PARTICIPANTS)
def participant_page(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    participant = access.access_participant_by_code(actor, code)
    # the schedule of the protocol version in force at the participant's site (issue 17)
    protocol = protocol_for_site(participant.site)
    states = participant_schedule(participant, protocol.visits,
                                  today=clock.today(), database_locked=database_locked())
    forms = {f.code: f.title.text(_lang()) for f in [*get_protocol().forms, *protocol.forms]}
    following = next_visit([state.scheduled for state in states])
    return render(request, "capture/participant.html", {
        "next_visit": presenters.next_visit_view(following, _lang(), protocol.visits),
        "logs": _log_forms(participant, protocol) if states else [],
        "actor": actor, "participant": participant, "visits": states, "form_titles": forms,
        "open_queries": sum(f.open_queries for s in states for f in s.forms),
        "discontinuation": getattr(participant, "discontinuation", None),
        "consent_withdrawal": withdrawal(participant),  # the banner (issue 17)
        "today": clock.today(),
    })


def _log_forms(participant: Participant, protocol: Protocol) -> list[dict[str, object]]:
    """Return the repeating forms no visit lists (kept under the log visit), with their entries."""
    listed = {code for visit in protocol.visits for code in visit.forms}
    entries: dict[str, list[int]] = {}
    for form, seq in FormInstance.objects.filter(participant=participant, visit=LOG_VISIT
                                                 ).values_list("form", "seq").order_by("seq"):
        entries.setdefault(form, []).append(seq)
    return [{"code": f.code, "title": f.title.text(_lang()), "entries": entries.get(f.code, []),
             "next": max(entries.get(f.code, [0])) + 1}
            for f in protocol.forms if f.repeating and f.code not in listed]


def _consent_stop(slot: FormSlot) -> Conflict | None:
    """Why the participant's consent keeps this form from taking data (the page is then
    read-only; a correction answering a query goes through the query's page), or None."""
    try:
        refuse_form_entry(slot.participant, slot.form.code, new=slot.instance is None)
    except Conflict as stop:
        return stop
    return None


def _pending_warnings(slot: FormSlot, rejected: list | None) -> list[dict[str, str]]:
    """Return the warnings awaiting confirmation, with the code that confirms each."""
    language = _lang()
    if rejected is not None:
        problems = [p for p in rejected if p.severity == "warning"]
    elif slot.instance is None:
        return []
    else:
        problems = [stored_warning(w, slot.form, slot.instance.values)
                    for w in slot.instance.warnings if not w["confirmed"]]
    return [{"code": warning_code(p), "field": p.field, "rule": p.rule,
             "label": field_labels(p, slot.form, language),
             "message": problem_text(p, slot.form, language)} for p in problems]


@page(READ_PARTICIPANTS)
@require_http_methods(["GET", "POST"])
def form_page(request: HttpRequest, actor: Actor, code: str, visit: str, form: str) -> HttpResponse:
    slot = access_form_slot(actor, code, visit, form, _seq(request))
    form_class = build_form_class(slot.form, _lang())
    status, rejected, error = 200, None, None
    if request.method == "POST":
        django_form = form_class(data=request.POST)
        django_form.is_valid()
        version = request.POST.get("version", "")
        try:
            actions.do_save_form(
                actor, slot, values=entered_from_post(slot.form, request.POST),
                complete=request.POST.get("action") == "complete",
                confirm=request.POST.getlist("confirm"), reason=request.POST.get("reason", ""),
                expected_version=int(version) if version.isdigit() else None,
                prefilled_from=request.POST.get("prefilled_from", ""),
            )
        except FormRejected as problem:
            attach_problems(django_form, problem.problems, slot.form, _lang())
            status, rejected = 422, problem.problems
        except InvalidInput as problem:
            django_form.add_error(None, f"{problem.field}: {problem.rule}")
            status = 422
        except Conflict as problem:
            status, error = 409, problem
        else:
            messages.success(request, _("The form was saved."))
            return redirect(request.get_full_path())
    # before a first save the form may be offered values from the ScreeningRecord: shown marked,
    # stored only when the user submits them
    offer = prefill_for(slot)
    if request.method != "POST":
        stored = slot.instance.values if slot.instance else (offer.values if offer else {})
        django_form = form_class(initial=initial_values(slot.form, stored))
    withdrawn = withdrawal(slot.participant)
    consent_stop = _consent_stop(slot) if withdrawn is not None else None
    if consent_stop is not None:  # shown as it was entered, nothing to type in
        for field in django_form.fields.values():
            field.disabled = True
    view = presenters.form_view(slot)
    if slot.instance is not None:  # a query's question in the reader's language (issue 19)
        stored = {q.pk: q for q in slot.instance.queries.all()}
        for shown_query in view["queries"]:
            stored[shown_query["id"]].form_instance = slot.instance
            shown_query["text"] = query_text(stored[shown_query["id"]], slot.form, _lang())
    # field codes are for those who query values and match them to exports (issue 19)
    may_show_codes = actor.can(Permission.RAISE_QUERIES)
    shown = view["values"]
    if offer is not None and request.method != "POST":  # the offer's derived values (P/F ratio)
        shown = validate_slot(slot, offer.values, complete=False)[0].values
    return render(request, "capture/form.html", {
        "actor": actor, "slot": slot, "view": view, "django_form": django_form,
        "form_title": slot.form.title.text(_lang()),
        "visit_title": _visit_title(slot.visit_code),
        "pending_warnings": _pending_warnings(slot, rejected), "error": error,
        "consent_withdrawal": withdrawn, "read_only": consent_stop is not None,
        "needs_reason": slot.instance is not None and slot.instance.status == "complete",
        "prefill": offer, "prefilled": set(offer.values) if offer else set(),
        # a query names a field (or a cross-field check) by its words; its code in "show codes"
        "field_names": {**{f.code: f.label.text(_lang()) for f in slot.form.fields},
                        **{c.code: c.message.text(_lang()) for c in slot.form.checks}},
        "may_show_codes": may_show_codes,
        "show_codes": may_show_codes and request.GET.get("codes") == "1",
        "signatures": _signatures(view["signatures"]),
        "derived": {f.code: display_number(f, shown.get(f.code))
                    for f in slot.form.fields if f.derived is not None},
    }, status=status)


def _signatures(signatures: list[dict]) -> list[dict]:
    """The form's signatures for the page: the time as a time of the reader's locale and zone,
    the statement in the reader's language when it is the standard one (the same words the
    signer saw in theirs; a statement of other words is shown as it was signed)."""
    language = _lang()
    shown = []
    for signature in signatures:
        meaning = signature["meaning"]
        if signature.get("language") and meaning == signature_meaning(signature["language"]):
            meaning = signature_meaning(language)
        shown.append({**signature, "meaning": meaning,
                      "signed_at": dt.datetime.fromisoformat(signature["signed_at"])})
    return shown


@page(READ_PARTICIPANTS)
@require_POST
def form_check(request: HttpRequest, actor: Actor, code: str, visit: str,
               form: str) -> HttpResponse:
    """The live check of a form being filled: derived values and problems (nothing stored)."""
    slot = access_form_slot(actor, code, visit, form, _seq(request))
    result, _ = validate_slot(slot, entered_from_post(slot.form, request.POST),
                                    complete=request.POST.get("action") == "complete",
                                    confirm=request.POST.getlist("confirm"))
    derived = {f.code: display_number(f, result.values.get(f.code))
               for f in slot.form.fields if f.derived is not None}
    problems = [{"field": p.field, "rule": p.rule, "severity": p.severity,
                 "label": field_labels(p, slot.form, _lang()),
                 "message": problem_text(p, slot.form, _lang())}
                for p in [*result.errors, *result.unconfirmed]]
    return JsonResponse({"derived": derived, "problems": problems})


def _visit_title(code: str) -> str:
    visit = next((v for v in get_protocol().visits if v.code == code), None)
    return visit.title.text(_lang()) if visit else code


@page("sign_forms")
@require_http_methods(["GET", "POST"])
def sign_form_page(request: HttpRequest, actor: Actor, code: str, visit: str,
                   form: str) -> HttpResponse:
    slot = access_form_slot(actor, code, visit, form, _seq(request))
    back = reverse("capture:form", args=[code, visit, form]) + f"?seq={slot.seq}"
    error, status = None, 200
    if request.method == "POST":
        try:
            if slot.instance is None:
                raise Conflict("not_complete", _("Nothing has been entered on this form."))
            actions.do_sign(actor, slot.instance, password=request.POST.get("password", ""),
                            language=_lang())
        except InvalidInput:
            error, status = _("The password does not match."), 422
        except Conflict as problem:
            return refused(request, actor, problem)
        else:
            messages.success(request, _("The form was signed."))
            return redirect(back)
    return render(request, "capture/sign.html", {
        "actor": actor, "meaning": signature_meaning(_lang()), "error": error, "back": back,
        "what": f"{slot.participant.code} · {_visit_title(visit)} · "
                f"{slot.form.title.text(_lang())}",
    }, status=status)


@page("sign_forms")
@require_http_methods(["GET", "POST"])
def sign_visit_page(request: HttpRequest, actor: Actor, code: str, visit: str) -> HttpResponse:
    participant, visit_def = access_visit(actor, code, visit)
    back = reverse("capture:participant", args=[code])
    error, status = None, 200
    if request.method == "POST":
        try:
            actions.do_sign_visit(actor, participant, visit_def.code, visit_def.forms,
                                  password=request.POST.get("password", ""), language=_lang())
        except InvalidInput:
            error, status = _("The password does not match."), 422
        except Conflict as problem:
            return refused(request, actor, problem)
        else:
            messages.success(request, _("The visit was signed."))
            return redirect(back)
    return render(request, "capture/sign.html", {
        "actor": actor, "meaning": signature_meaning(_lang()), "error": error, "back": back,
        "what": f"{participant.code} · {visit_def.title.text(_lang())}",
    }, status=status)


@page("enter_forms")
@require_POST
def visit_not_done(request: HttpRequest, actor: Actor, code: str, visit: str) -> HttpResponse:
    participant, visit_def = access_visit(actor, code, visit)
    try:
        actions.do_mark_visit_not_done(actor, participant, visit_def.code,
                                       reason=request.POST.get("reason", ""))
    except InvalidInput:
        messages.error(request, _("Give the reason the visit was not done."))
    except Conflict as problem:
        return refused(request, actor, problem)
    return redirect("capture:participant", code=participant.code)


@page("enter_forms")
@require_POST
def discontinue(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    participant = access.access_participant_by_code(actor, code)
    try:
        date = dt.date.fromisoformat(request.POST.get("date", ""))
        actions.do_discontinue(actor, participant, kind=request.POST.get("kind", ""), date=date,
                               reason=request.POST.get("reason", ""))
    except (ValueError, InvalidInput):
        messages.error(request, _("Give what happened and a date that is not in the future."))
    except Conflict as problem:
        return refused(request, actor, problem)
    return redirect("capture:participant", code=participant.code)

