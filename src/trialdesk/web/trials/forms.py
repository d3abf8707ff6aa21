"""Page forms. The screening form is built from the protocol's field definitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trialdesk.protocol import FormField, Protocol
from trialdesk.protocol.units import unit_text
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.kits import typed_kit_code
from trialdesk.web.trials.screening_fields import screening_fields

YESNO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def _form_field(field: FormField, language: str) -> forms.Field:
    unit = unit_text(field.unit, language)
    label = field.label.text(language) + (f" ({unit})" if unit else "")
    help_text = field.help.text(language) if field.help else ""
    if field.type == "yesno":
        return forms.ChoiceField(label=label, choices=YESNO, required=False, help_text=help_text)
    if field.type == "choice":
        choices = [("", "—")] + [(c.code, c.label.text(language)) for c in field.choices]
        return forms.ChoiceField(label=label, choices=choices, required=False, help_text=help_text)
    if field.type == "integer":
        return forms.IntegerField(label=label, required=False, help_text=help_text,
                                  min_value=field.range.min if field.range else None,
                                  max_value=field.range.max if field.range else None)
    return forms.FloatField(label=label, required=False, help_text=help_text,
                            min_value=field.range.min if field.range else None,
                            max_value=field.range.max if field.range else None,
                            widget=forms.NumberInput(attrs={"step": "any"}))


class ScreeningForm(forms.Form):
    """One input per screening field of ``protocol`` (the version in force at the user's site;
    default the running one), labelled in the user's language."""

    def __init__(self, *args: Any, language: str = "en", protocol: Protocol | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in screening_fields(protocol or get_protocol()):
            self.fields[field.code] = _form_field(field, language)

    def values(self) -> dict[str, Any]:
        """Return the entered values (blank ones left out) for ``do_screen``."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class RandomizeForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, min_length=8, max_length=100)
    confirm = forms.BooleanField(
        label=_("I confirm that this participant is eligible, has consented, and should be "
                "randomized now."))


class DispenseForm(forms.Form):
    kit_code = forms.CharField(widget=forms.HiddenInput, max_length=20)
    lot = forms.CharField(label=_("Lot number"), max_length=40)

    def clean_kit_code(self) -> str:
        # a code typed with a look-alike (O for 0, I or L for 1) is read as meant (issue 14)
        return typed_kit_code(self.cleaned_data["kit_code"])


class UnblindForm(forms.Form):
    reason = forms.CharField(label=_("Reason for emergency unblinding"), min_length=10,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class FinalUnblindingForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), min_length=10, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
