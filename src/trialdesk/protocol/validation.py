"""Check one form's values against the protocol: types, required, ranges, derived values, checks.

This is the rule book the data-capture layer applies before it stores anything; it holds for a paper
CRF too, so it lives in the core. A hard problem (wrong type, outside the hard range, a failed
error-level check) rejects the save; a soft problem (outside the soft range, a failed warning-level
check) keeps the value but needs the user's confirmation and raises an automatic query.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from trialdesk.protocol.capture import NUMERIC_TYPES, Form, FormField
from trialdesk.protocol.censored import is_censored, parse_censored
from trialdesk.protocol.expressions import MissingValue

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field (or one cross-field check), naming the rule broken."""

    field: str
    rule: str
    message: str
    severity: Severity = "error"
    confirmed: bool = False
    # what the message says, for a reader in another language (value, min, max, unit, limit...)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.rule}]"


@dataclass
class FormValidation:
    values: dict[str, Any]
    errors: list[FieldProblem] = field(default_factory=list)
    warnings: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks the save (warnings may still await confirmation)."""
        return not self.errors

    @property
    def unconfirmed(self) -> list[FieldProblem]:
        """Warnings the user has not yet confirmed; a complete form needs none left."""
        return [warning for warning in self.warnings if not warning.confirmed]


_TRUE = {"yes", "true", "1", "y", "si", "sí"}
_FALSE = {"no", "false", "0", "n"}

# No date a trial records (a birth included) lies before this: the floor when the caller gives
# no protocol-defined earliest date.
PLAUSIBLE_EARLIEST = dt.date(1900, 1, 1)


def date_window_rule(value: dt.date, earliest: dt.date, today: dt.date) -> str | None:
    """The rule ``value`` breaks if it lies before ``earliest`` or after ``today``, else None."""
    if value < earliest:
        return f"must not be before {earliest.isoformat()}"
    if value > today:
        return "must not be in the future"
    return None


def _coerce(form_field: FormField, raw: Any) -> Any:
    """Return the value in its Python type, or raise ValueError saying what was expected."""
    kind = form_field.type
    if kind in NUMERIC_TYPES and (form_field.lloq is not None or form_field.uloq is not None):
        beyond = parse_censored(form_field, raw)  # "<5": below the assay's limit, kept so
        if beyond is not None:
            return beyond
    if kind == "integer":
        if isinstance(raw, bool):
            raise ValueError("expected a whole number, got yes/no")
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"expected a whole number, got {raw!r}")
        return int(number)
    if kind == "decimal":
        if isinstance(raw, bool):
            raise ValueError("expected a number, got yes/no")
        if isinstance(raw, float) and math.isfinite(raw):
            value = raw
        else:
            try:
                number = Decimal(str(raw).strip().replace(",", "."))
            except InvalidOperation:
                raise ValueError(f"expected a number, got {raw!r}") from None
            # JSON has no NaN or Infinity (PostgreSQL's jsonb refuses them), and a huge integer
            # becomes an infinite float
            if not number.is_finite() or not math.isfinite(float(number)):
                raise ValueError(f"expected a finite number, got {raw!r}")
            value = float(number)
        # a field the protocol shows with no decimals is a whole number (PaO2 in mmHg): 70.4 is
        # refused rather than stored as something the CRF cannot show; 70.0 is 70
        if form_field.decimals == 0 and not value.is_integer():
            raise ValueError(f"expected a whole number, got {raw!r}")
        return value
    if kind == "text":
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got {type(raw).__name__}")
        if "\x00" in raw:  # no database should hold it; PostgreSQL cannot
            raise ValueError("expected text without the NUL character")
        return raw.strip()
    if kind == "date":
        if isinstance(raw, dt.datetime):
            raise ValueError("expected a date without a time")
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(f"expected a date as YYYY-MM-DD, got {raw!r}") from None
    if kind == "datetime":
        if isinstance(raw, dt.datetime):
            return raw
        try:
            return dt.datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(f"expected a date and time as YYYY-MM-DDTHH:MM, got {raw!r}") from None
    if kind == "yesno":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected yes or no, got {raw!r}")
    # choice
    codes = [choice.code for choice in form_field.choices]
    text = str(raw).strip()
    if text not in codes:
        raise ValueError(f"{raw!r} is not one of the choices {', '.join(codes)}")
    return text


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _range_text(low: float | None, high: float | None) -> str:
    return f"{'-inf' if low is None else f'{low:g}'} to {'inf' if high is None else f'{high:g}'}"


def validate_form(
    form: Form,
    raw_values: Mapping[str, Any],
    *,
    complete: bool = False,
    context: Mapping[str, Any] | None = None,
    confirmed: Collection[str] = (),
    earliest_date: dt.date | None = None,
    today: dt.date | None = None,
) -> FormValidation:
    """Validate ``raw_values`` (field code -> entered value) for ``form``.

    ``complete``: the user marks the form complete, so required fields must be present (a draft may
    leave them empty). ``context``: facts the system supplies to checks (``randomization_date``).
    ``confirmed``: field codes or check codes whose soft warnings the user has confirmed.
    Derived fields are computed here; a value sent for one is an error.
    A date (or a date and time) must lie between ``earliest_date`` (the protocol's
    ``Protocol.earliest_date()``; default ``PLAUSIBLE_EARLIEST``) and ``today`` (default: the
    date in UTC, the server's time zone), both included; a field marked ``history`` (a date of
    the participant's past) between ``PLAUSIBLE_EARLIEST`` and ``today``.
    """
    window = (earliest_date or PLAUSIBLE_EARLIEST, today or dt.datetime.now(dt.UTC).date())
    result = FormValidation(values={})
    known = {form_field.code: form_field for form_field in form.fields}
    for code in raw_values:
        if code not in known:
            result.errors.append(
                FieldProblem(code, "unknown_field", f"form {form.code!r} has no field {code!r}")
            )
    for form_field in form.fields:
        raw = raw_values.get(form_field.code)
        if form_field.derived is not None:
            if not _is_blank(raw):
                result.errors.append(FieldProblem(
                    form_field.code, "derived", "is computed by the system and cannot be entered"
                ))
            continue
        if _is_blank(raw):
            if complete and form_field.required:
                result.errors.append(FieldProblem(
                    form_field.code, "required", "is required to mark the form complete"
                ))
            continue
        try:
            value = _coerce(form_field, raw)
        except ValueError as error:
            result.errors.append(FieldProblem(form_field.code, "type", str(error),
                                              params={"type": form_field.type}))
            continue
        if form_field.type in ("date", "datetime"):
            day = value.date() if isinstance(value, dt.datetime) else value
            earliest = PLAUSIBLE_EARLIEST if form_field.history else window[0]
            rule = date_window_rule(day, earliest, window[1])
            if rule is not None:
                result.errors.append(FieldProblem(
                    form_field.code, "date_window", rule,
                    params={"earliest": earliest, "latest": window[1], "future": day > window[1]}))
                continue
        result.values[form_field.code] = value
        numeric = form_field.type in NUMERIC_TYPES and not is_censored(value)
        if numeric and _check_limits(form_field, value, result, confirmed):
            _check_ranges(form_field, value, result, confirmed)
    _derive(form, result, context or {})
    _run_checks(form, result, context or {}, confirmed)
    return result


def _check_ranges(
    form_field: FormField, value: float, result: FormValidation, confirmed: Collection[str]
) -> None:
    unit = f" {form_field.unit}" if form_field.unit else ""
    hard = form_field.range
    if hard is not None and not hard.contains(value):
        result.errors.append(FieldProblem(
            form_field.code, "hard_range",
            f"{value:g}{unit} is outside the allowed range {_range_text(hard.min, hard.max)}{unit}",
            params={"value": value, "min": hard.min, "max": hard.max, "unit": form_field.unit},
        ))
        del result.values[form_field.code]
        return
    soft = form_field.soft_range
    if soft is not None and not soft.contains(value):
        result.warnings.append(FieldProblem(
            form_field.code,
            "soft_range",
            f"{value:g}{unit} is outside the expected range {_range_text(soft.min, soft.max)}{unit}"
            "; confirm the value",
            "warning",
            confirmed=form_field.code in confirmed,
            params={"value": value, "min": soft.min, "max": soft.max, "unit": form_field.unit},
        ))


def _check_limits(
    form_field: FormField, value: float, result: FormValidation, confirmed: Collection[str]
) -> bool:
    """A number beyond the assay's limits of quantification is no measurement (the assay cannot
    tell it from the limit): refused, to be entered as "<LLOQ" / ">ULOQ", or, where the
    protocol says ``beyond_limit = "query"``, kept with a warning to confirm (and a query)."""
    unit = f" {form_field.unit}" if form_field.unit else ""
    if form_field.lloq is not None and value < form_field.lloq:
        limit, rule, side, sign = f"{form_field.lloq:g}", "below_lloq", "below", "<"
    elif form_field.uloq is not None and value > form_field.uloq:
        limit, rule, side, sign = f"{form_field.uloq:g}", "above_uloq", "above", ">"
    else:
        return True
    name = "lower" if sign == "<" else "upper"
    message = (f"{value:g}{unit} is {side} the assay's {name} limit of quantification "
               f"({limit}{unit}); enter {sign}{limit}")
    params = {"value": value, "limit": limit, "sign": sign, "unit": form_field.unit}
    if form_field.beyond_limit == "query":
        result.warnings.append(FieldProblem(form_field.code, rule, message + " or confirm",
                                            "warning", confirmed=form_field.code in confirmed,
                                            params={**params, "confirm": True}))
        return True
    result.errors.append(FieldProblem(form_field.code, rule, message, params=params))
    del result.values[form_field.code]
    return False


def _derive(form: Form, result: FormValidation, context: Mapping[str, Any]) -> None:
    # a named rule (ventilator-free days) reads the context the caller supplies (other forms)
    for form_field in form.fields:
        if form_field.derived is None:
            continue
        try:
            value = form_field.derived.evaluate({**context, **result.values})
        except MissingValue:
            continue
        if form_field.type == "integer":
            value = round(value)
        elif form_field.decimals is not None:
            value = round(float(value), form_field.decimals)
        result.values[form_field.code] = value


def _run_checks(
    form: Form, result: FormValidation, context: Mapping[str, Any], confirmed: Collection[str]
) -> None:
    values = {**context, **result.values}
    for check in form.checks:
        try:
            holds = bool(check.rule.evaluate(values))
        except MissingValue:
            continue  # a check on an empty field waits until the field is entered
        except TypeError:
            continue  # a field of the wrong type is already reported as a type error
        if holds:
            continue
        problem_fields = sorted(check.rule.names() & set(result.values)) or [check.code]
        message = f"{check.message.text()} ({check.rule.source})"
        if check.severity == "error":
            result.errors.append(FieldProblem(",".join(problem_fields), f"check:{check.code}",
                                              message, params={"check": check.code}))
        else:
            result.warnings.append(FieldProblem(
                ",".join(problem_fields), f"check:{check.code}", message, "warning",
                confirmed=check.code in confirmed, params={"check": check.code},
            ))
