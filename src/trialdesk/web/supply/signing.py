"""Quality's electronic signature of a lot's release decision: the password re-entered, as for an
investigator's signature (``capture.actions.signatures``), counted against the same throttle."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from trialdesk.web.capture.actions.signatures import (
    FAILED,
    FAILURE_LIMIT,
    FAILURE_WINDOW,
    REFUSED,
    recent_signing_failures,
)
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput

RELEASE_MEANING = _(
    "I am responsible for the quality of this lot. By signing I confirm that I have reviewed its "
    "manufacturing record and release test results and decide its release as shown. This "
    "electronic signature is the legally binding equivalent of my handwritten signature."
)


def release_meaning(language: str) -> str:
    """The meaning of the release signature in ``language``."""
    with translation.override(language):
        return str(RELEASE_MEANING)


@action(None)
def _record_attempt(actor: Actor, action_name: str, target: str) -> None:
    # its own transaction: the refusal that follows must not roll the record back
    append_audit(actor=actor.username, action=action_name, model="signature", object_id=target,
                 changes={"signed": {"old": None, "new": False}})


def check_release_password(actor: Actor, password: str, target: str) -> None:
    """Refuse while signing is locked; audit and count a wrong password."""
    if recent_signing_failures(actor.username) >= FAILURE_LIMIT:
        _record_attempt(actor, REFUSED, target)
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise Conflict("signing_locked", f"{FAILURE_LIMIT} wrong passwords: signing is locked "
                       f"for this account for up to {minutes} minutes")
    if not password or not actor.user.check_password(password):
        _record_attempt(actor, FAILED, target)
        raise InvalidInput("password", "does not match the signer's password")
