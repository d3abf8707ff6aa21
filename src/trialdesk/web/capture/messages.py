"""Validation problems in words for the person at the form, in their language: one message per
rule kind, the field by its label, the protocol's own text for its checks; no rule codes or
expressions. The API keeps the core's English message and the rule code, for programs."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from trialdesk.protocol.capture import Form
from trialdesk.protocol.units import unit_text
from trialdesk.protocol.validation import FieldProblem

TYPE_EXPECTED = {
    "integer": lambda: _("enter a whole number"),
    "decimal": lambda: _("enter a number"),
    "date": lambda: _("enter a date"),
    "datetime": lambda: _("enter a date and a time"),
    "yesno": lambda: _("choose yes or no"),
    "choice": lambda: _("choose one of the options"),
    "text": lambda: _("enter text without control characters"),
}


def _number(value: Any) -> str:
    """A number as the reader's language writes it, without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return formats.number_format(value, use_l10n=True)


def _with_unit(value: Any, unit: str) -> str:
    return f"{_number(value)} {unit}".strip()


def _range(low: Any, high: Any, unit: str) -> str:
    if low is None:
        return pgettext("range", "at most %(max)s") % {"max": _with_unit(high, unit)}
    if high is None:
        return pgettext("range", "at least %(min)s") % {"min": _with_unit(low, unit)}
    return pgettext("range", "%(min)s to %(max)s") % {"min": _number(low),
                                                      "max": _with_unit(high, unit)}


def _check_text(form: Form, code: str, language: str) -> str | None:
    check = next((check for check in form.checks if check.code == code), None)
    return check.message.text(language) if check else None


def problem_text(problem: FieldProblem, form: Form, language: str) -> str:
    """The problem as the person entering the form should read it."""
    params = dict(problem.params)
    unit = unit_text(params.get("unit"), language)
    rule = problem.rule
    if rule == "required":
        return _("Required to mark the form complete.")
    if rule == "derived":
        return _("Computed by the system: it cannot be entered.")
    if rule == "assigned_kit":
        return _("This is not the kit assigned to this participant: infuse only the kit given "
                 "at randomization.")
    if rule == "unknown_field":
        return _("This form has no such field.")
    if rule == "type" and params.get("type") in TYPE_EXPECTED:
        return _("Not a valid value: %(expected)s.") % {
            "expected": TYPE_EXPECTED[params["type"]]()}
    if rule == "date_window":
        if params.get("future"):
            return _("The date must not be in the future.")
        return _("The date must not be before %(date)s.") % {
            "date": formats.date_format(params["earliest"], "SHORT_DATE_FORMAT")}
    if rule == "hard_range":
        return _("%(value)s is outside the allowed range, %(range)s.") % {
            "value": _with_unit(params["value"], unit),
            "range": _range(params["min"], params["max"], unit)}
    if rule == "soft_range":
        return _("%(value)s is outside the expected range, %(range)s: confirm the value.") % {
            "value": _with_unit(params["value"], unit),
            "range": _range(params["min"], params["max"], unit)}
    if rule in ("below_lloq", "above_uloq"):
        values = {"value": _with_unit(params["value"], unit),
                  "limit": _with_unit(params["limit"], unit),
                  "entry": f"{params['sign']}{params['limit']}"}
        if rule == "below_lloq":
            text = _("%(value)s is below the assay's lower limit of quantification "
                     "(%(limit)s): enter %(entry)s") % values
        else:
            text = _("%(value)s is above the assay's upper limit of quantification "
                     "(%(limit)s): enter %(entry)s") % values
        return text + (_(" or confirm the value.") if params.get("confirm") else ".")
    if rule.startswith("check:"):
        own = _check_text(form, params.get("check", rule.removeprefix("check:")), language)
        if own:
            return own
    return problem.message


def field_labels(problem: FieldProblem, form: Form, language: str) -> str:
    """The field (or the fields of a check) by label."""
    labels = {field.code: field.label.text(language) for field in form.fields}
    return ", ".join(labels.get(code, code) for code in problem.field.split(","))


def stored_warning(warning: dict[str, Any], form: Form, values: dict[str, Any]) -> FieldProblem:
    """A warning as a form keeps it (field, rule, message), with what its words need taken from
    the protocol and the stored value (older warnings were kept without them)."""
    params = dict(warning.get("params") or {})
    field = next((f for f in form.fields if f.code == warning["field"]), None)
    if not params and field is not None and warning["rule"] == "soft_range" and field.soft_range:
        params = {"value": values.get(field.code), "min": field.soft_range.min,
                  "max": field.soft_range.max, "unit": field.unit}
    if not params and warning["rule"].startswith("check:"):
        params = {"check": warning["rule"].removeprefix("check:")}
    return FieldProblem(warning["field"], warning["rule"], warning["message"], "warning",
                        params=params)


# what the system writes in a query's thread (stored in English, as the API gives it)
AUTO_CLOSED = "closed automatically: the value no longer breaks the rule"
SDV_PREFIX = "Source data verification: "


def query_text(query: Any, form: Form | None, language: str) -> str:
    """A query's question as the reader should read it: a manual query as its author wrote it
    (the monitor's, with the system's lead-in in the reader's language); an automatic one by
    its rule kind, in the reader's language, with the value while the rule still breaks (the
    form's current warnings) and without it once the value was corrected."""
    text = query.text
    if query.kind != "auto" or form is None:
        if text.startswith(SDV_PREFIX):
            return _("Source data verification: %(comment)s") % {
                "comment": text.removeprefix(SDV_PREFIX)}
        return text
    instance = query.form_instance
    live = next((warning for warning in instance.warnings or []
                 if (warning.get("field"), warning.get("rule")) == (query.field, query.rule)),
                None)
    if live is not None:
        return problem_text(stored_warning(live, form, instance.values), form, language)
    field = next((f for f in form.fields if f.code == query.field), None)
    if query.rule == "soft_range" and field is not None and field.soft_range is not None:
        unit = unit_text(field.unit, language)
        return _("Outside the expected range, %(range)s: confirm the value.") % {
            "range": _range(field.soft_range.min, field.soft_range.max, unit)}
    if query.rule.startswith("check:"):
        own = _check_text(form, query.rule.removeprefix("check:"), language)
        if own:
            return own
    return text


def thread_text(text: str, action: str, query: Any, form: Form | None, language: str) -> str:
    """One message of a query's thread in the reader's language where the system wrote it."""
    if not text:
        return text
    if action == "raised" and text == query.text:
        return query_text(query, form, language)
    if text == AUTO_CLOSED:
        return _("Closed automatically: the value no longer breaks the rule.")
    return text
