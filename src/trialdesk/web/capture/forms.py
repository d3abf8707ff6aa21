"""Django forms built at run time from the protocol's form definitions.

Every input is a text field with the widget its type calls for: the protocol's own rules
(:func:`trialdesk.protocol.validation.validate_form`) decide what is valid, so a page reports the
same field and rule as the API does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.censored import censored_text, is_censored
from trialdesk.protocol.units import unit_text
from trialdesk.protocol.validation import FieldProblem
from trialdesk.web.capture.messages import field_labels, problem_text


def _widget(field: FormField, language: str) -> forms.Widget:
    attrs: dict[str, Any] = {"aria-required": "true"} if field.required else {}
    if field.type in ("integer", "decimal"):
        return forms.TextInput(attrs={**attrs, "inputmode": "decimal", "size": 10})
    if field.type == "date":
        return forms.DateInput(attrs={**attrs, "type": "date"})
    if field.type == "datetime":
        return forms.DateTimeInput(attrs={**attrs, "type": "datetime-local"})
    if field.type == "choice":
        # the label only: the code is the stored value, shown in the "show codes" mode (issue 19)
        choices = [("", "—")] + [(c.code, c.label.text(language)) for c in field.choices]
        return forms.Select(attrs=attrs, choices=choices)
    if field.type == "yesno":
        return forms.Select(attrs=attrs, choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
    return forms.TextInput(attrs={**attrs, "size": 40})


def build_form_class(form: Form, language: str) -> type[forms.Form]:
    """Return a Django form class for ``form`` with labels, help and units in ``language``."""
    fields: dict[str, forms.Field] = {}
    for definition in form.fields:
        field = forms.CharField(
            label=definition.label.text(language), required=False, strip=False,
            help_text=definition.help.text(language) if definition.help else "",
            widget=_widget(definition, language),
            disabled=definition.derived is not None,
        )
        # shown beside the input by the template
        field.unit = unit_text(definition.unit, language)
        field.protocol_required = definition.required
        field.derived = definition.derived is not None
        fields[definition.code] = field
    return type(f"{form.code.title().replace('_', '')}Form", (forms.Form,), fields)


def display_number(definition: FormField, value: Any) -> Any:
    """Return a number as the protocol's decimals show it (160.0 with 0 decimals is 160); a
    result beyond the assay's limit as it is typed and exported ("<5")."""
    if is_censored(value):
        return censored_text(value)
    if isinstance(value, float) and definition.decimals is not None:
        return f"{value:.{definition.decimals}f}"
    return value


def initial_values(form: Form, stored: dict[str, Any]) -> dict[str, Any]:
    """Return stored values as the inputs show them (yes/no, dates as text)."""
    initial: dict[str, Any] = {}
    for definition in form.fields:
        value = stored.get(definition.code)
        if value is None:
            continue
        if definition.type == "yesno":
            value = "yes" if value else "no"
        elif definition.type == "datetime":
            value = str(value)[:16]
        else:
            value = display_number(definition, value)
        initial[definition.code] = value
    return initial


def entered_from_post(form: Form, data: Any) -> dict[str, str]:
    """Return the entered (not derived) values of a submitted page form."""
    return {f.code: data.get(f.code, "") for f in form.fields if f.derived is None}


def attach_problems(django_form: forms.Form, problems: list[FieldProblem], form: Form,
                    language: str) -> None:
    """Show each problem beside its field(s), in words; others above the form."""
    for problem in problems:
        text = problem_text(problem, form, language)
        codes = [c for c in problem.field.split(",") if c in django_form.fields]
        if not codes:
            django_form.add_error(None, f"{field_labels(problem, form, language)}: {text}")
        for code in codes[:1]:
            django_form.add_error(code, text)
