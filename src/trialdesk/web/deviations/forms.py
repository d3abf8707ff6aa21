"""Page forms of the deviation log: reporting, changing (CAPA, ethics report), closing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from trialdesk import deviations as rules
from trialdesk.protocol.deviations import DeviationRules
from trialdesk.web.deviations.models import REFERENCE_MAX, TEXT_MAX
from trialdesk.web.deviations.templatetags.deviation_tags import LABELS

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
UNBLINDING_HELP = _(
    "Only for randomization/allocation and study treatment deviations. Anything that could reveal "
    "which arm a participant is in (the product given, a kit of the other arm) goes here, not in "
    "the description: only roles that see arms can read it, and you will not see it again once "
    "saved.")
DESCRIPTION_HELP = _("Every blinded reader of the log sees this text: do not name an arm or the "
                     "study product.")


def _choices(codes: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(code, LABELS.get(code, code)) for code in codes]


class DeviationForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    severity = forms.ChoiceField(label=_("Severity"), choices=_choices(rules.SEVERITIES))
    description = forms.CharField(label=_("What happened"), max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=DESCRIPTION_HELP)
    occurred_on = forms.DateField(label=_("Date it happened"), **DATE)
    discovered_on = forms.DateField(label=_("Date discovered"), required=False,
                                    help_text=_("Default: today."), **DATE)
    discovered_by = forms.CharField(label=_("Discovered by (username)"), required=False,
                                    max_length=150, help_text=_("Default: you."))
    discovery_method = forms.ChoiceField(label=_("How it was discovered"),
                                         choices=_choices(rules.DISCOVERY_METHODS))
    corrective_action = forms.CharField(label=_("Corrective action"), required=False,
                                        max_length=TEXT_MAX,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    preventive_action = forms.CharField(label=_("Preventive action"), required=False,
                                        max_length=TEXT_MAX,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    capa_owner = forms.CharField(label=_("CAPA owner (username)"), required=False,
                                 max_length=150)
    capa_due_on = forms.DateField(label=_("CAPA due"), required=False, **DATE)
    capa_completed_on = forms.DateField(label=_("CAPA completed"), required=False, **DATE)
    ethics_reported_on = forms.DateField(label=_("Reported to the ethics committee on"),
                                         required=False, **DATE)
    ethics_reference = forms.CharField(label=_("Ethics committee reference"), required=False,
                                       max_length=REFERENCE_MAX)
    unblinding_details = forms.CharField(label=_("Details that may unblind"), required=False,
                                         max_length=TEXT_MAX, help_text=UNBLINDING_HELP,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, found: DeviationRules, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.label.text(language))
                                           for c in found.categories]
        self.fields["severity"].help_text = " ".join(
            f"{LABELS[name]}: {getattr(found, name).text(language)}" for name in rules.SEVERITIES)

    def values(self) -> dict[str, Any]:
        """The deviation's values (the empty optional ones as none)."""
        skip = {"participant", "site", "reason", "unblinding_details", "clear_unblinding_details"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


class ReportForm(DeviationForm):
    site = forms.ChoiceField(label=_("Site"))
    participant = forms.ChoiceField(label=_("Participant"), required=False,
                                    help_text=_("Leave empty for a site-level deviation."))
    field_order = ("site", "participant")

    def __init__(self, *args: Any, sites: list[str], participants: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(code, code) for code in sites]
        self.fields["participant"].choices = [("", "—")] + [(c, c) for c in participants]


class UpdateForm(DeviationForm):
    clear_unblinding_details = forms.BooleanField(
        label=_("Clear the details that may unblind"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=TEXT_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unblinding_details"].help_text = format_lazy(
            "{} {}", _("Leave empty to keep what is recorded."), UNBLINDING_HELP)

    def details(self) -> str | None:
        """None: keep the recorded details; "": clear them; else the new text."""
        if self.cleaned_data.get("clear_unblinding_details"):
            return ""
        return self.cleaned_data.get("unblinding_details") or None


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_MAX)
