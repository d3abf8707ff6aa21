"""Form values from the protocol alone: types, choices, ranges and soft ranges.

The clinical model (``nct04390152_model``) gives plausible values for the fields it knows; every
other field, of any protocol, gets a value here, and every form's values pass through
:func:`finish`: rounded to the field's decimals, kept within its range, an optional value left out
now and then, and once in a while a value beyond the soft range (which the site confirms, so the
server raises its automatic query).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from trialdesk.protocol.capture import Form, FormField

MISSING_OPTIONAL = 0.05  # share of optional values left blank
OUTLIER_FORMS = 0.03  # share of forms with one value beyond its soft range


def generic_value(field: FormField, rng: random.Random, when: dt.datetime) -> Any:
    """A value of the field's type, within its soft range (else its range)."""
    if field.type == "choice":
        return rng.choice(field.choices).code
    if field.type == "yesno":
        return rng.random() < 0.1
    if field.type == "date":
        return when.date().isoformat()
    if field.type == "datetime":
        return when.replace(tzinfo=None).isoformat(timespec="minutes")
    if field.type == "text":
        return "simulated"
    bounds = field.soft_range or field.range
    low = bounds.min if bounds is not None and bounds.min is not None else 0.0
    high = bounds.max if bounds is not None and bounds.max is not None else low + 100.0
    return rng.uniform(low, low + (high - low) * 0.6)


def _number(field: FormField, value: float) -> int | float:
    if field.range is not None:
        if field.range.min is not None:
            value = max(value, field.range.min)
        if field.range.max is not None:
            value = min(value, field.range.max)
    if field.type == "integer" or field.decimals == 0:
        return round(value)
    return round(value, field.decimals if field.decimals is not None else 2)


def _outlier(field: FormField) -> float | None:
    """A value above the soft range and within the range, if the field has both."""
    soft, hard = field.soft_range, field.range
    if soft is None or soft.max is None or hard is None or hard.max is None:
        return None
    if hard.max <= soft.max:
        return None
    return soft.max + (hard.max - soft.max) * 0.05 + (1 if field.type == "integer" else 0.1)


def _beyond_limit(value: Any) -> bool:
    # "<LLOQ" (or the stored {"censored": ...}): a result beyond the assay's limit, kept as such
    return isinstance(value, dict) or (isinstance(value, str) and value.strip()[:1] in ("<", ">"))


def finish(form: Form, values: dict[str, Any], rng: random.Random, when: dt.datetime,
           *, allow_missing: bool = True, allow_outlier: bool = True) -> dict[str, Any]:
    """Complete, round and perturb ``values`` for ``form``; derived fields are left out."""
    done: dict[str, Any] = {}
    for field in form.fields:
        if field.derived is not None:
            continue
        value = values[field.code] if field.code in values else generic_value(field, rng, when)
        if value is None:
            continue
        if not field.required and allow_missing and rng.random() < MISSING_OPTIONAL:
            continue
        if field.type in ("integer", "decimal") and not _beyond_limit(value):
            value = _number(field, float(value))
        done[field.code] = value
    if allow_outlier and rng.random() < OUTLIER_FORMS:
        candidates = [f for f in form.fields if f.code in done and _outlier(f) is not None]
        if candidates:
            field = rng.choice(candidates)
            done[field.code] = _number(field, _outlier(field))  # type: ignore[arg-type]
    return done
