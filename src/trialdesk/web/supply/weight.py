"""The participant's recorded body weight, for the dose (issue 18)."""

from __future__ import annotations

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.trials.models import Participant

# where the bundled protocol records weight: the demographics form's ``weight`` (kg)
WEIGHT_FORM, WEIGHT_FIELD = "demographics", "weight"


def recorded_weight(participant: Participant) -> float | None:
    """The weight last saved on the participant's demographics form, or None."""
    values = (FormInstance.objects.filter(participant=participant, form=WEIGHT_FORM)
              .order_by("-updated_at").values_list("values", flat=True).first())
    weight = (values or {}).get(WEIGHT_FIELD)
    return float(weight) if isinstance(weight, int | float) and not isinstance(weight, bool) \
        else None
