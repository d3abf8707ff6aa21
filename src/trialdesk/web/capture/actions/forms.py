"""Saving a case report form: validation by the protocol's rules, audit, signatures and queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from django.db import connection
from django.db.models.signals import post_save

from trialdesk.protocol.capture import Form
from trialdesk.protocol.prefill import provenance
from trialdesk.protocol.validation import FieldProblem, FormValidation, validate_form
from trialdesk.web.capture.access import FormSlot
from trialdesk.web.capture.derived import derivation_context, refresh_derived
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.messages import AUTO_CLOSED
from trialdesk.web.capture.models import COMPLETE, DRAFT, FormInstance, Query, QueryMessage
from trialdesk.web.capture.prefill import SOURCE as PREFILL_SOURCE
from trialdesk.web.capture.prefill import prefill_for
from trialdesk.web.capture.state import refuse_if_locked
from trialdesk.web.core import clock, sql
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor, require
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.safety.reactions import link_reaction
from trialdesk.web.trials.consent_state import refuse_form_entry
from trialdesk.web.trials.kits import assigned_kit_code, typed_kit_code
from trialdesk.web.trials.models import Participant

AUTO_CLOSE_TEXT = AUTO_CLOSED  # the thread shows it in the reader's language (messages.py)


def randomization_date(participant: Participant) -> dt.date | None:
    """Return the day the participant was randomized (UTC), or None before randomization."""
    randomization = getattr(participant, "randomization", None)
    return randomization.randomized_at.date() if randomization is not None else None


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def entered_values(form: Form, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Return the stored values without the derived ones (what a user entered)."""
    derived = {f.code for f in form.fields if f.derived is not None}
    return {code: value for code, value in stored.items() if code not in derived}


def warning_code(problem: FieldProblem) -> str:
    """Return the code a user confirms a warning by: the field, or the check's code."""
    if problem.rule.startswith("check:"):
        return problem.rule.removeprefix("check:")
    return problem.field


def _snapshot(form: Form, code: str, values: Mapping[str, Any]) -> Any:
    """Return what a confirmation of ``code`` was given for, to tell when it no longer holds."""
    check = next((c for c in form.checks if c.code == code), None)
    if check is None:
        return values.get(code)
    return {name: values.get(name) for name in sorted(check.rule.names())}


def _read_kit_code(form: Form, raw_values: Mapping[str, Any]) -> Mapping[str, Any]:
    """A field the protocol marks ``kit_label`` (a kit code copied from the kit's label) is kept
    as the kit's printed code when it reads as one, so that a code typed with a look-alike (O for
    0, I or L for 1 in a Crockford list) is stored as the code on the kit (issue 14); whether it
    names the participant's own kit is :func:`_wrong_kit_problems`' refusal (issue 18)."""
    read = dict(raw_values)
    for form_field in form.fields:
        typed = raw_values.get(form_field.code)
        if form_field.kit_label and isinstance(typed, str) and typed.strip():
            read[form_field.code] = typed_kit_code(typed)
    return read


WRONG_KIT_RULE = "assigned_kit"


def _wrong_kit_problems(slot: FormSlot, values: Mapping[str, Any]) -> list[FieldProblem]:
    """A ``kit_label`` field must name the kit assigned to this participant (issue 18): a kit
    infused into another participant is a dosing error, refused before anything is stored.

    One answer for every other code (another participant's kit, an unknown code, any text), so
    the refusal says nothing about whose kit a code is, what it holds or whether it exists.
    """
    fields = [f.code for f in slot.form.fields
              if f.kit_label and isinstance(values.get(f.code), str) and values[f.code].strip()]
    if not fields:
        return []
    # the randomization's kit, or the kit that replaced it (issue 18)
    assigned = assigned_kit_code(slot.participant)
    return [FieldProblem(code, WRONG_KIT_RULE, "is not the kit assigned to this participant: "
                         "infuse only the kit given at randomization")
            for code in fields if values[code] != assigned]


def _uses_randomization_date(form: Form) -> bool:
    # the participant's randomization is a query of its own: asked only where a check needs it
    return any("randomization_date" in check.rule.names() for check in form.checks)


def validate_slot(
    slot: FormSlot,
    raw_values: Mapping[str, Any],
    *,
    complete: bool,
    confirm: Collection[str] = (),
) -> tuple[FormValidation, dict[str, Any]]:
    """Validate values for a slot; return the validation and the values as stored (JSON).

    A confirmation given earlier still counts while the values it was given for are unchanged.
    """
    raw_values = _read_kit_code(slot.form, raw_values)
    context = {}
    if _uses_randomization_date(slot.form):
        context = {"randomization_date": randomization_date(slot.participant)}
        context = {k: v for k, v in context.items() if v is not None}
    # a field derived from other forms (ventilator-free days from the ventilation episodes)
    context.update(derivation_context(slot.participant, slot.form))
    # dates of trial data from the protocol's earliest date to today on the trial's clock
    window = {"earliest_date": get_protocol().earliest_date(), "today": clock.today()}
    first = validate_form(slot.form, raw_values, complete=complete, context=context,
                          confirmed=set(confirm), **window)
    wrong_kit = _wrong_kit_problems(slot, raw_values)
    first.errors.extend(wrong_kit)
    stored_values = {code: _json(value) for code, value in first.values.items()}
    earlier = slot.instance.confirmed if slot.instance is not None else {}
    still_valid = {code for code, snap in earlier.items()
                   if _snapshot(slot.form, code, stored_values) == snap}
    if not still_valid - set(confirm):
        return first, stored_values
    result = validate_form(slot.form, raw_values, complete=complete, context=context,
                           confirmed=set(confirm) | still_valid, **window)
    result.errors.extend(wrong_kit)
    return result, stored_values


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        code: {"old": old.get(code), "new": new.get(code)}
        for code in sorted(set(old) | set(new))
        if old.get(code) != new.get(code)
    }


@action("enter_forms")
def do_save_form(
    actor: Actor,
    slot: FormSlot,
    *,
    values: Mapping[str, Any],
    complete: bool = False,
    confirm: Collection[str] = (),
    reason: str = "",
    expected_version: int | None = None,
    prefilled_from: str = "",
    answering: Query | None = None,
) -> FormInstance:
    """Store a form's entered values (all of them: a field left out is emptied).

    Raises FormRejected (nothing stored) for a hard error, or for warnings left unconfirmed when
    the form is marked complete. A change to a complete form needs a ``reason``; a change to a
    signed form voids the signature. Confirmed warnings raise automatic queries; an automatic
    query whose rule the new values no longer break is closed. A form the protocol gives a
    permission of its own (the adverse-event log: report_ae) needs that permission too. A form
    saved as offered from the participant's ScreeningRecord (``prefilled_from``, see
    ``capture.prefill``) says in its audit record which offered values the user kept and which
    they corrected. After a withdrawal of consent from all further data collection a saved form
    changes only as the correction ``answering`` an open query on it (``do_answer_query``).
    """
    if slot.form.permission is not None:
        require(actor, slot.form.permission)
    if prefilled_from not in ("", PREFILL_SOURCE):
        raise InvalidInput("prefilled_from", f"must be {PREFILL_SOURCE} or empty")
    participant = slot.participant
    instance = None
    if slot.instance is not None:
        instance = FormInstance.objects.select_for_update().get(pk=slot.instance.pk)
    refuse_if_locked(participant, instance)
    answers_query = (answering is not None and instance is not None
                     and answering.form_instance_id == instance.pk
                     and answering.status == Query.OPEN)
    refuse_form_entry(participant, slot.form.code, new=instance is None,  # consent withdrawn
                      answering_query=answers_query)
    stale = instance is not None and instance.version != expected_version
    if expected_version is not None and stale:
        raise Conflict("stale", f"{slot.key} was changed by someone else (version "
                                f"{instance.version}); reload it")
    slot = FormSlot(participant, slot.visit_code, slot.form, slot.seq, instance,
                    slot.protocol_version)
    # what the user was offered, read again here: the client only says it used the offer
    offer = prefill_for(slot) if prefilled_from else None
    result, stored_values = validate_slot(slot, values, complete=complete, confirm=confirm)
    if result.errors:
        raise FormRejected(result.errors)
    if complete and result.unconfirmed:
        raise FormRejected(result.unconfirmed)
    confirmed = {warning_code(w): _snapshot(slot.form, warning_code(w), stored_values)
                 for w in result.warnings if w.confirmed}
    warnings = [{"field": w.field, "rule": w.rule, "message": w.message, "confirmed": w.confirmed}
                for w in result.warnings]
    status = COMPLETE if complete else DRAFT
    old_values = instance.values if instance is not None else {}
    changes = _field_changes(old_values, stored_values)
    old_status = instance.status if instance is not None else None
    if old_status != status:
        changes["status"] = {"old": old_status, "new": status}
    if instance is not None and not changes and instance.confirmed == confirmed:
        return instance
    old_confirmed = sorted(instance.confirmed) if instance is not None else None
    reason = reason.strip()
    if offer is not None:
        kept, corrected = provenance(offer.values, stored_values)
        changes["prefilled_from"] = {"old": None, "new": {
            "source": offer.source, "recorded_on": offer.recorded_on.isoformat(),
            "kept": kept, "corrected": corrected}}
        reason = reason or f"prefilled values confirmed by the user (source: {offer.source})"
    if instance is not None and old_status == COMPLETE and changes and not reason:
        raise InvalidInput("reason", "is required to change a complete form")
    now = clock.now()
    if instance is None:
        instance = _insert_new_entry(actor, slot, now, values=stored_values, status=status,
                                     confirmed=confirmed, warnings=warnings)
    else:
        instance.values = stored_values
        instance.status = status
        instance.confirmed = confirmed
        instance.warnings = warnings
        instance.version += 1
        instance.updated_at = now
        instance.updated_by = actor.user
        if instance.signed and changes:
            _void_signatures(actor, instance, now, reason or "changed after signing")
        instance.save()
    append_audit(
        actor=actor.username, action="save_form", model="form_instance", object_id=instance.key,
        changes=changes or {"confirmed": {"old": old_confirmed, "new": sorted(confirmed)}},
        reason=reason,
    )
    # a reaction recorded on a form is an adverse event too (safety.reactions: once, linked)
    link_reaction(actor, instance)
    # a form other forms derive from (a ventilation episode) updates their stored value
    refresh_derived(actor, instance, _void_signatures)
    confirmed_warnings = [w for w in result.warnings if w.confirmed]
    if confirmed_warnings or old_status is not None:  # a new form has no queries to close yet
        _sync_auto_queries(actor, instance, confirmed_warnings, now)
    return instance


def _insert_new_entry(actor: Actor, slot: FormSlot, now: dt.datetime, **fields: Any
                      ) -> FormInstance:
    """A slot's first entry in one INSERT (``core.sql``), then its ``post_save`` as ``save()``
    sends it (the DSMB's receiver listens for treatment records): the ORM's insert was the largest
    part of a form save's CPU, and a simulated trial saves hundreds of thousands (issue 13)."""
    participant = slot.participant
    instance = sql.insert(
        FormInstance, participant=participant, site_id=participant.site_id,
        visit=slot.visit_code, form=slot.form.code, seq=slot.seq, created_at=now,
        created_by=actor.user, version=1, protocol_version=slot.protocol_version,
        updated_at=now, updated_by=actor.user, **fields)
    post_save.send(sender=FormInstance, instance=instance, created=True, update_fields=None,
                   raw=False, using=connection.alias)
    return instance


def _void_signatures(actor: Actor, instance: FormInstance, now: dt.datetime, reason: str) -> None:
    for signature in instance.signatures.filter(voided_at__isnull=True):
        signature.voided_at = now
        signature.void_reason = reason
        signature.save(update_fields=["voided_at", "void_reason"])
        append_audit(actor=actor.username, action="void_signature", model="signature",
                     object_id=str(signature.pk),
                     changes={"form": {"old": instance.key, "new": instance.key},
                              "voided_at": {"old": None, "new": now.isoformat()}},
                     reason=reason)
    instance.signed = False


def _sync_auto_queries(
    actor: Actor, instance: FormInstance, confirmed: list[FieldProblem], now: dt.datetime
) -> None:
    """Open a query per confirmed warning (once); close those whose rule now holds."""
    live = {(w.field, w.rule): w for w in confirmed}
    pending = Query.objects.filter(form_instance=instance, kind=Query.AUTO).exclude(
        status=Query.CLOSED)
    for query in pending:
        if (query.field, query.rule) in live:
            live.pop((query.field, query.rule))
            continue
        old_status = query.status
        query.status = Query.CLOSED
        query.updated_at = now
        query.save(update_fields=["status", "updated_at"])
        QueryMessage.objects.create(query=query, at=now, actor=actor.user, action="closed",
                                    text=AUTO_CLOSE_TEXT)
        append_audit(actor=actor.username, action="close_query", model="query",
                     object_id=str(query.pk),
                     changes={"status": {"old": old_status, "new": Query.CLOSED}},
                     reason=AUTO_CLOSE_TEXT)
    for warning in live.values():
        query = Query.objects.create(
            form_instance=instance, participant_id=instance.participant_id,
            site_id=instance.site_id, field=warning.field, rule=warning.rule, kind=Query.AUTO,
            text=warning.message, raised_at=now, raised_by=actor.user, updated_at=now,
        )
        QueryMessage.objects.create(query=query, at=now, actor=actor.user, action="raised",
                                    text=warning.message)
        append_audit(actor=actor.username, action="raise_query", model="query",
                     object_id=str(query.pk),
                     changes={"form": {"old": None, "new": instance.key},
                              "field": {"old": None, "new": warning.field},
                              "rule": {"old": None, "new": warning.rule}},
                     reason="confirmed warning")
