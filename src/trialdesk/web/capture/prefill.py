"""The values a form is offered from what was recorded when the participant was screened (the
participant's ScreeningRecord; issue 16).

Which forms, and which fields, is the protocol's rule (:mod:`trialdesk.protocol.prefill`); here
the record is read. A form is offered values only while nothing is saved on it: once saved, its
values are what the user confirmed. Nothing here writes: the form page and the API show the offer
marked as such, and the save (``actions.forms.do_save_form``) records in the audit trail which
values came from the record and which the user corrected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from trialdesk.protocol.prefill import screening_prefill
from trialdesk.web.capture.access import FormSlot
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import ScreeningRecord

# the name of the source, in the API (``prefilled_from``) and on the form page's hidden input
SOURCE = "screening_record"


@dataclass(frozen=True)
class Prefill:
    source: str
    recorded_on: dt.date
    values: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "recorded_on": self.recorded_on.isoformat(),
                "values": self.values}


def prefill_for(slot: FormSlot) -> Prefill | None:
    """Return what ``slot`` is offered from the participant's ScreeningRecord, or None (nothing
    to offer, or the form already saved)."""
    if slot.instance is not None or slot.seq != 1:
        return None
    visit = next((v for v in get_protocol().visits if v.code == slot.visit_code), None)
    if visit is None or slot.form.code not in visit.prefill_from_screening:
        return None
    record = ScreeningRecord.objects.filter(participant=slot.participant).values(
        "values", "screened_at").first()
    if record is None:
        return None
    values = screening_prefill(visit, slot.form, record["values"])
    return Prefill(SOURCE, record["screened_at"].date(), values) if values else None
