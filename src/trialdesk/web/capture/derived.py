"""Values derived from other forms (protocol.derivations): what the rule reads, and keeping the
stored value current when its source changes.

The end-of-study form's ventilator-free days are derived from the participant's ventilation
episodes. :func:`derivation_context` hands the rule the episodes (complete entries only, as every
analysis reads them) and the randomization date when the deriving form is validated, so the
value is stored with the form like any derived value and shown read-only. When an episode is
saved, :func:`refresh_derived` recomputes the stored value of each form deriving from it in the
same transaction, audited as a change of that form (old and new value, and why), voiding its
signature as any change does; a locked deriving form refuses the episode's change instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from trialdesk.protocol.capture import Form
from trialdesk.protocol.derivations import RANDOMIZATION_DATE, VentilatorFreeDaysRule
from trialdesk.protocol.expressions import MissingValue
from trialdesk.web.capture.models import COMPLETE, FormInstance
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Participant


def named_rules(form: Form) -> list[tuple[str, VentilatorFreeDaysRule]]:
    """The (field code, rule) pairs of ``form``'s fields derived by a named rule."""
    return [(f.code, f.derived) for f in form.fields
            if isinstance(f.derived, VentilatorFreeDaysRule)]


def _randomization_date(participant: Participant) -> dt.date | None:
    randomization = getattr(participant, "randomization", None)
    return randomization.randomized_at.date() if randomization is not None else None


def derivation_context(participant: Participant, form: Form) -> dict[str, Any]:
    """What ``form``'s named rules read besides its own values (empty when it has none)."""
    rules = named_rules(form)
    if not rules:
        return {}
    context: dict[str, Any] = {}
    randomized = _randomization_date(participant)
    if randomized is not None:
        context[RANDOMIZATION_DATE] = randomized
    for _code, rule in rules:
        context[rule.context_key] = list(FormInstance.objects.filter(
            participant=participant, form=rule.episodes, status=COMPLETE,
        ).order_by("seq").values_list("values", flat=True))
    return context


def derived_value(participant: Participant, form: Form, code: str,
                  values: dict[str, Any]) -> Any:
    """The value of ``form``'s field ``code`` derived now from ``values`` and the context."""
    rule = form.field(code).derived
    try:
        return rule.evaluate({**derivation_context(participant, form), **values})
    except MissingValue:
        return None


def refresh_derived(actor: Actor, instance: FormInstance,
                    void_signatures: Callable[[Actor, FormInstance, dt.datetime, str], None]
                    ) -> None:
    """Recompute the stored values that ``instance`` (just saved) is the source of.

    Runs in the caller's write transaction; ``void_signatures`` is data capture's own (a signed
    form whose value changes is signed no more)."""
    for form in get_protocol().forms:
        codes = [code for code, rule in named_rules(form) if rule.episodes == instance.form]
        if not codes:
            continue
        deriving = FormInstance.objects.select_for_update().filter(
            participant_id=instance.participant_id, form=form.code)
        for target in deriving:
            target.participant = instance.participant
            new = {code: derived_value(instance.participant, form, code, target.values)
                   for code in codes}
            changes = {code: {"old": target.values.get(code), "new": value}
                       for code, value in new.items() if target.values.get(code) != value}
            if not changes:
                continue
            if target.locked:
                raise Conflict("locked", f"{target.key} derives from {instance.key} and is "
                                         "locked; unlock it first")
            reason = f"derived value recomputed: its source {instance.key} changed"
            now = clock.now()
            values = dict(target.values)
            for code, value in new.items():
                if value is None:
                    values.pop(code, None)
                else:
                    values[code] = value
            target.values = values
            target.version += 1
            target.updated_at = now
            target.updated_by = actor.user
            if target.signed:
                void_signatures(actor, target, now, reason)
            target.save()
            append_audit(actor=actor.username, action="save_form", model="form_instance",
                         object_id=target.key, changes=changes, reason=reason)
