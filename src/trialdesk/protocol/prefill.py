"""Screening data flowing into later forms, confirmed there and not typed twice (issue 16).

The screening page stores its values under the protocol's field codes (the fields eligibility and
stratification read: age, the Berlin criteria, PaO2, FiO2, PEEP ...). A visit's
``prefill_from_screening`` names the forms offered with those values: each entered field whose code
the screening record holds is prefilled; derived fields are computed again from the entered ones,
and fields screening does not ask (sex, ventilation mode) stay empty. Nothing is stored until the
user submits the form; :func:`provenance` then tells which offered values were kept and which the
user corrected, for the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialdesk.protocol.capture import Form, Visit


def screening_prefill(visit: Visit, form: Form, screening_values: Mapping[str, Any]
                      ) -> dict[str, Any]:
    """Return the values ``form`` at ``visit`` is offered from the screening record (by code).

    Empty when the visit does not prefill the form.
    """
    if form.code not in visit.prefill_from_screening:
        return {}
    return {field.code: screening_values[field.code] for field in form.fields
            if field.derived is None and screening_values.get(field.code) is not None}


def provenance(offered: Mapping[str, Any], saved: Mapping[str, Any]
               ) -> tuple[list[str], list[str]]:
    """Return (kept, corrected): the offered fields saved as offered, and those saved otherwise
    (changed or emptied), each sorted. Numbers compare by value (70 is 70.0)."""
    kept = sorted(code for code, value in offered.items() if _same(value, saved.get(code)))
    corrected = sorted(code for code in offered if code not in kept)
    return kept, corrected


def _same(offered: Any, saved: Any) -> bool:
    # True == 1 in Python: a yes/no answer is never the same as a number
    if isinstance(offered, bool) or isinstance(saved, bool):
        return offered is saved
    return offered == saved
