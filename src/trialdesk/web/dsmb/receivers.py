"""The stopping rule is evaluated when a saved adverse event or infusion record can raise its
count: an event that is the defined toxicity, or the first infusion of a participant who has one
(:func:`~trialdesk.web.dsmb.data.may_change_the_rule`: decided without the arm).

A ``post_save`` receiver, inside the transaction of the write that saved the record (the
safety and capture actions): the signal and its alerts are stored with the event, or not at all.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.dsmb import data
from trialdesk.web.dsmb.data import INFUSION_FORM
from trialdesk.web.safety.models import AdverseEvent

log = logging.getLogger("trialdesk.dsmb")


def _check() -> None:
    from trialdesk.web.dsmb.actions import do_check_stopping_rule

    try:
        do_check_stopping_rule(actor="system")
    except Exception:  # the event itself must be stored: a failed check is logged loudly
        log.exception("the DSMB's safety stopping rule could not be evaluated")


@receiver(post_save, sender=AdverseEvent, dispatch_uid="dsmb_rule_on_event")
def _on_event(sender: Any, instance: AdverseEvent, **_: Any) -> None:
    if data.may_change_the_rule(instance):
        _check()


@receiver(post_save, sender=FormInstance, dispatch_uid="dsmb_rule_on_infusion")
def _on_infusion(sender: Any, instance: FormInstance, **_: Any) -> None:
    if instance.form == INFUSION_FORM and data.may_change_the_rule(
            infused_participant_id=instance.participant_id):
        _check()
