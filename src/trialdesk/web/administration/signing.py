"""The principal investigator's signature of a delegation: the password re-entered, counted
against the same throttle as an investigator's form signature (``capture.actions.signatures``)."""

from __future__ import annotations

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


@action(None)
def _record_attempt(actor: Actor, action_name: str, target: str) -> None:
    # its own transaction: the refusal that follows must not roll the record back
    append_audit(actor=actor.username, action=action_name, model="signature", object_id=target,
                 changes={"signed": {"old": None, "new": False}})


def check_signing_password(actor: Actor, password: str, target: str) -> None:
    """Refuse while signing is locked; audit and count a wrong password."""
    if recent_signing_failures(actor.username) >= FAILURE_LIMIT:
        _record_attempt(actor, REFUSED, target)
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise Conflict("signing_locked", f"{FAILURE_LIMIT} wrong passwords: signing is locked "
                       f"for this account for up to {minutes} minutes")
    if not password or not actor.user.check_password(password):
        _record_attempt(actor, FAILED, target)
        raise InvalidInput("password", "does not match the signer's password")
