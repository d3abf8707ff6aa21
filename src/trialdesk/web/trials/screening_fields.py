"""Which values screening asks for, and their checks against the protocol's field definitions."""

from __future__ import annotations

import math
from typing import Any

from trialdesk.protocol import FormField, Protocol
from trialdesk.web.core.errors import InvalidInput


def screening_fields(protocol: Protocol) -> list[FormField]:
    """Return the entered (not derived) fields that eligibility and stratification read.

    A derived field (PaO2/FiO2) is replaced by the fields it is computed from.
    """
    fields = protocol.all_fields()
    names: list[str] = []
    criteria = protocol.eligibility.inclusion + protocol.eligibility.exclusion
    expressions = [criterion.expression for criterion in criteria]
    for factor in protocol.design.randomization.strata:
        expressions += [level.rule for level in factor.levels if level.rule is not None]
    for expression in expressions:
        for name in sorted(expression.names()):
            field = fields.get(name)
            inputs = sorted(field.derived.names()) if field and field.derived else [name]
            names += [n for n in inputs if n not in names]
    # form order reads better on a page than rule order
    order = list(fields)
    return [fields[name] for name in sorted(names, key=order.index) if name in fields]


def clean_value(field: FormField, value: Any) -> Any:
    """Return ``value`` checked against the field's type, choices and hard range."""
    if value is None or value == "":
        return None
    if field.type == "yesno":
        if isinstance(value, bool):
            return value
        if value in ("yes", "no"):
            return value == "yes"
        raise InvalidInput(field.code, "must be true/false (yes/no)")
    if field.type in ("integer", "decimal"):
        if isinstance(value, bool):
            raise InvalidInput(field.code, f"must be a number ({field.type})")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InvalidInput(field.code, f"must be a number ({field.type})") from None
        if not math.isfinite(number):  # NaN or Infinity: no JSON number, no PostgreSQL jsonb
            raise InvalidInput(field.code, f"must be a number ({field.type})")
        # an integer field, or one the protocol shows with no decimals (PaO2 in mmHg), takes a
        # whole number: 70.4 is refused, 70.0 is 70
        if (field.type == "integer" or field.decimals == 0) and not number.is_integer():
            raise InvalidInput(field.code, "must be a whole number")
        if field.type == "integer":
            number = value if isinstance(value, int) else int(number)
        if field.range and not field.range.contains(number):
            low = "" if field.range.min is None else f"{field.range.min:g}"
            high = "" if field.range.max is None else f"{field.range.max:g}"
            raise InvalidInput(field.code, f"must be between {low} and {high}")
        return number
    if field.type == "choice":
        codes = [choice.code for choice in field.choices]
        if value not in codes:
            raise InvalidInput(field.code, f"must be one of {', '.join(codes)}")
        return value
    if not isinstance(value, str):
        raise InvalidInput(field.code, "must be text")
    return value


def clean_screening_values(protocol: Protocol, values: dict[str, Any]) -> dict[str, Any]:
    """Return the values checked and typed; raise InvalidInput naming the first bad one.

    The field is named ``values.<code>``, as the API's request body nests it.
    """
    fields = {field.code: field for field in screening_fields(protocol)}
    cleaned = {}
    for name, value in values.items():
        if name not in fields:
            raise InvalidInput(f"values.{name}", "is not a screening field of this protocol")
        try:
            cleaned[name] = clean_value(fields[name], value)
        except InvalidInput as error:
            raise InvalidInput(f"values.{name}", error.rule) from None
    return {name: value for name, value in cleaned.items() if value is not None}
