"""The investigator's electronic signature of a form or a whole visit.

The signer re-enters the password; the meaning of the signature is shown before signing and stored
with it, in the language it was shown in. A later change to the form voids the signature.

Wrong passwords are throttled like sign-in: each is audited, and after ``FAILURE_LIMIT`` of them in
``FAILURE_WINDOW`` (since the signer's last signature) signing is locked for the account until the
window has passed, so the signature page cannot be used to guess a password.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models.signals import post_save
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from trialdesk.web.capture.models import COMPLETE, FormInstance, Lock, Signature
from trialdesk.web.capture.state import refuse_if_locked
from trialdesk.web.core import clock, sql
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit, append_audits
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.locks import refuse_if_database_locked
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Participant

SIGNATURE_MEANING = _(
    "I am the investigator responsible for these data. By signing I confirm that I have reviewed "
    "them and that they are accurate and complete. This electronic signature is the legally "
    "binding equivalent of my handwritten signature."
)


def signature_meaning(language: str) -> str:
    """Return the meaning of the signature in ``language``."""
    with translation.override(language):
        return str(SIGNATURE_MEANING)


FAILURE_LIMIT = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
FAILED, REFUSED, SIGNED = "signature_password_failed", "signature_refused_locked", "sign_form"


def recent_signing_failures(username: str) -> int:
    """Return the signer's wrong passwords in the window, since the last signature."""
    since = clock.now() - FAILURE_WINDOW
    last_signed = (AuditRecord.objects.filter(actor=username, action=SIGNED, at__gte=since)
                   .order_by("-seq").values_list("at", flat=True).first())
    return AuditRecord.objects.filter(actor=username, action=FAILED,
                                      at__gte=last_signed or since).count()


@action(None)
def _record_attempt(actor: Actor, action: str, target: str) -> None:
    # Its own transaction: the refusal that follows must not roll the record back.
    append_audit(actor=actor.username, action=action, model="signature", object_id=target,
                 changes={"signed": {"old": None, "new": False}})


def check_signing_password(actor: Actor, password: str, target: str) -> None:
    """Refuse while signing is locked; audit and count a wrong password. Every signature of the
    server (forms, lock overrides, the DSMB's recommendation, a lot's release, a delegation)
    re-enters the password through this one check, so one throttle counts them all."""
    if recent_signing_failures(actor.username) >= FAILURE_LIMIT:
        _record_attempt(actor, REFUSED, target)
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise Conflict("signing_locked", f"{FAILURE_LIMIT} wrong passwords: signing is locked "
                       f"for this account for up to {minutes} minutes")
    if not password or not actor.user.check_password(password):
        _record_attempt(actor, FAILED, target)
        raise InvalidInput("password", "does not match the signer's password")


def _sign(actor: Actor, instance: FormInstance, language: str,
          meaning: str | None = None, *, flag_stored: bool = False,
          audits: list[dict[str, Any]] | None = None) -> Signature:
    """Sign one form: its signature, its ``signed`` flag, its audit record.

    ``flag_stored``: the caller has already set ``signed`` in the database (one UPDATE for a
    session's entries, :func:`_sign_entries`); the entry's ``post_save`` is sent here all the
    same, in the order ``save()`` would have sent it (the DSMB's receiver listens for the
    records of the treatment given). ``audits``: the audit record is added to this list, for the
    caller to append with the session's others (``append_audits``), in the same transaction.
    """
    if instance.status != COMPLETE:
        raise Conflict("not_complete", f"{instance.key} must be complete before it is signed")
    if instance.signed:
        raise Conflict("already_signed", f"{instance.key} is already signed")
    now = clock.now()
    # one INSERT (core.sql), not the ORM's create: a session signs hundreds of forms, and
    # nothing listens for a new signature
    signature = sql.insert(
        Signature, form_instance=instance, signed_by=actor.user, signed_at=now,
        meaning=meaning or signature_meaning(language), language=language,
        form_version=instance.version,
    )
    instance.signed = True
    if flag_stored:
        post_save.send(sender=FormInstance, instance=instance, created=False,
                       update_fields=frozenset({"signed"}), raw=False, using=connection.alias)
    else:
        instance.save(update_fields=["signed"])
    record = {"actor": actor.username, "action": SIGNED, "model": "form_instance",
              "object_id": instance.key,
              "changes": {"signed": {"old": False, "new": True},
                          "meaning": {"old": None, "new": signature.meaning}}}
    if audits is None:
        append_audit(**record)
    else:
        audits.append(record)
    return signature


def _check_form_password(actor: Actor, instance: FormInstance, *, password: str,
                         **_: object) -> None:
    check_signing_password(actor, password, instance.key)


@action("sign_forms", before=_check_form_password)
def do_sign(
    actor: Actor, instance: FormInstance, *, password: str, language: str = "en"
) -> Signature:
    """Sign one complete form (the password is checked, and throttled, before the transaction)."""
    instance = FormInstance.objects.select_for_update().select_related("participant").get(
        pk=instance.pk)
    refuse_if_locked(instance.participant, instance)
    return _sign(actor, instance, language)


def _check_visit_password(actor: Actor, participant: Participant, visit_code: str, *args: object,
                          password: str, **_: object) -> None:
    check_signing_password(actor, password, f"{participant.code}/{visit_code}")


@action("sign_forms", before=_check_visit_password)
def do_sign_visit(
    actor: Actor, participant: Participant, visit_code: str, form_codes: list[str], *,
    password: str, language: str = "en",
) -> list[Signature]:
    """Sign every form of a visit; all must be complete. Forms already signed stay as they are.

    The password is checked, and throttled, before the transaction.
    """
    return _sign_visit(actor, participant, visit_code, form_codes, language)


VisitToSign = tuple[Participant, str, list[str]]  # participant, visit code, the visit's forms


def _check_batch_password(actor: Actor, visits: list[VisitToSign], *, password: str,
                          **_: object) -> None:
    if not visits:
        raise InvalidInput("visits", "name at least one visit to sign")
    check_signing_password(actor, password, ", ".join(f"{p.code}/{v}" for p, v, _ in visits)[:150])


@action("sign_forms", before=_check_batch_password)
def do_sign_visits(
    actor: Actor, visits: list[VisitToSign], *, password: str, language: str = "en",
) -> list[Signature]:
    """Sign several visits with one password entry, all or none (the signing worklist).

    21 CFR 11.200(a)(1)(i): within one continuous session the signer may sign a series with one
    entry of the password; each form still gets its own signature and audit record. If any visit
    cannot be signed (a form incomplete or locked), nothing is signed and the error names it.
    """
    meaning = signature_meaning(language)
    signatures: list[Signature] = []
    for participant, visit_code, form_codes in visits:
        signatures += _sign_visit(actor, participant, visit_code, form_codes, language, meaning)
    return signatures


def _sign_visit(actor: Actor, participant: Participant, visit_code: str, form_codes: list[str],
                language: str, meaning: str | None = None) -> list[Signature]:
    refuse_if_locked(participant)
    instances = {
        i.form: i for i in FormInstance.objects.select_for_update().filter(
            participant=participant, visit=visit_code, form__in=form_codes, seq=1)
    }
    missing = [code for code in form_codes
               if code not in instances or instances[code].status != COMPLETE]
    if missing:
        raise Conflict("not_complete", f"complete these forms before signing the visit "
                       f"{participant.code}/{visit_code}: {', '.join(missing)}")
    signatures = []
    for code in form_codes:
        instance = instances[code]
        if instance.locked:
            raise Conflict("form_locked", f"the form {instance.key} is locked")
        if not instance.signed:
            signatures.append(_sign(actor, instance, language, meaning))
    return signatures


def _check_entries_password(actor: Actor, instances: list[FormInstance], *, password: str,
                            visits: list[VisitToSign] | tuple[()] = (), **_: object) -> None:
    if not instances and not visits:
        raise InvalidInput("forms", "name at least one form entry to sign")
    named = [f"{p.code}/{v}" for p, v, _ in visits] + [i.key for i in instances[:8]]
    check_signing_password(actor, password, ", ".join(named)[:150])


@action("sign_forms", before=_check_entries_password)
def do_sign_forms(
    actor: Actor, instances: list[FormInstance], *, password: str, language: str = "en",
    visits: list[VisitToSign] | tuple[()] = (),
) -> list[Signature]:
    """Sign several form entries (and whole ``visits``) with one password entry, all or none.

    The signing session: 21 CFR 11.200(a)(1)(i), as :func:`do_sign_visits`, one entry of the
    password for the series, each form its own signature and audit record. Any form, a repeating
    form's later entries included. If one entry cannot be signed (incomplete, locked, or its
    participant's data locked), nothing is signed and the error names it; entries already signed
    stay as they are.
    """
    meaning = signature_meaning(language)
    signatures: list[Signature] = []
    for participant, visit_code, form_codes in visits:
        signatures += _sign_visit(actor, participant, visit_code, form_codes, language, meaning)
    return signatures + _sign_entries(actor, instances, language, meaning)


def _sign_entries(actor: Actor, instances: list[FormInstance], language: str,
                  meaning: str) -> list[Signature]:
    if not instances:
        return []
    wanted = list(dict.fromkeys(instance.pk for instance in instances))
    rows = FormInstance.objects.select_for_update().select_related("participant").in_bulk(wanted)
    if len(rows) < len(wanted):
        raise NotFound("no such form entry")
    ordered = [rows[pk] for pk in wanted]
    refuse_if_database_locked()
    locked_participants = set(Lock.objects.filter(
        scope=Lock.PARTICIPANT, participant_id__in={row.participant_id for row in ordered},
        unlocked_at__isnull=True).values_list("participant__code", flat=True))
    if locked_participants:
        raise Conflict("participant_locked", "the data of these participants are locked: "
                       + _named(sorted(locked_participants)))
    incomplete = [row.key for row in ordered if row.status != COMPLETE]
    if incomplete:
        raise Conflict("not_complete", "complete these forms before signing them: "
                       + _named(incomplete))
    locked = [row.key for row in ordered if row.locked]
    if locked:
        raise Conflict("form_locked", "these forms are locked: " + _named(locked))
    unsigned = [row for row in ordered if not row.signed]
    # the entries' flags in one UPDATE per chunk (SQLite's limit of bound parameters), not one
    # save() each: a session signs hundreds of entries (issue 13); each entry's signature and
    # post_save follow in order, as one by one, and their audit records in order, appended
    # together (one head read, one anchor: append_audits)
    pks = [row.pk for row in unsigned]
    for start in range(0, len(pks), 500):
        FormInstance.objects.filter(pk__in=pks[start:start + 500]).update(signed=True)
    audits: list[dict[str, Any]] = []
    signatures = [_sign(actor, row, language, meaning, flag_stored=True, audits=audits)
                  for row in unsigned]
    append_audits(audits)
    return signatures


def _named(keys: list[str], shown: int = 20) -> str:
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more
