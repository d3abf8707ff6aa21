"""The investigator's electronic signature of a form or a whole visit.

The signer re-enters the password; the meaning of the signature is shown before signing and stored
with it, in the language it was shown in. A later change to the form voids the signature.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from trialdesk.web.capture.models import COMPLETE, FormInstance, Signature
from trialdesk.web.capture.state import refuse_if_locked
from trialdesk.web.trials.access import Actor, require
from trialdesk.web.trials.audit import append_audit, lock_writes
from trialdesk.web.trials.errors import Conflict, InvalidInput
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


def _check_password(actor: Actor, password: str) -> None:
    if not password or not actor.user.check_password(password):
        raise InvalidInput("password", "does not match the signer's password")


def _sign(actor: Actor, instance: FormInstance, language: str) -> Signature:
    if instance.status != COMPLETE:
        raise Conflict("not_complete", f"{instance.key} must be complete before it is signed")
    if instance.signed:
        raise Conflict("already_signed", f"{instance.key} is already signed")
    now = timezone.now()
    signature = Signature.objects.create(
        form_instance=instance, signed_by=actor.user, signed_at=now,
        meaning=signature_meaning(language), language=language, form_version=instance.version,
    )
    instance.signed = True
    instance.save(update_fields=["signed"])
    append_audit(actor=actor.username, action="sign_form", model="form_instance",
                 object_id=instance.key,
                 changes={"signed": {"old": False, "new": True},
                          "meaning": {"old": None, "new": signature.meaning}})
    return signature


@transaction.atomic
def do_sign(
    actor: Actor, instance: FormInstance, *, password: str, language: str = "en"
) -> Signature:
    """Sign one complete form."""
    require(actor, "sign_forms")
    _check_password(actor, password)
    lock_writes()
    instance = FormInstance.objects.select_for_update().select_related("participant").get(
        pk=instance.pk)
    refuse_if_locked(instance.participant, instance)
    return _sign(actor, instance, language)


@transaction.atomic
def do_sign_visit(
    actor: Actor, participant: Participant, visit_code: str, form_codes: list[str], *,
    password: str, language: str = "en",
) -> list[Signature]:
    """Sign every form of a visit; all must be complete. Forms already signed stay as they are."""
    require(actor, "sign_forms")
    _check_password(actor, password)
    lock_writes()
    refuse_if_locked(participant)
    instances = {
        i.form: i for i in FormInstance.objects.select_for_update().filter(
            participant=participant, visit=visit_code, form__in=form_codes, seq=1)
    }
    missing = [code for code in form_codes
               if code not in instances or instances[code].status != COMPLETE]
    if missing:
        raise Conflict("not_complete",
                       f"complete these forms before signing the visit: {', '.join(missing)}")
    signatures = []
    for code in form_codes:
        instance = instances[code]
        if instance.locked:
            raise Conflict("form_locked", f"the form {instance.key} is locked")
        if not instance.signed:
            signatures.append(_sign(actor, instance, language))
    return signatures
