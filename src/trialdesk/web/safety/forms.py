"""Page forms of adverse events: reporting, correcting, following up, coding."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trialdesk.safety import rules
from trialdesk.web.safety.models import TERM_MAX, TEXT_MAX, AdverseEventFollowUp
from trialdesk.web.safety.templatetags.safety_tags import LABELS


def _choices(codes: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(code, LABELS.get(code, code)) for code in codes]


class EventForm(forms.Form):
    term = forms.CharField(label=_("Adverse event (verbatim term)"), max_length=TERM_MAX)
    onset_date = forms.DateField(label=_("Onset date"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("End date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    grade = forms.TypedChoiceField(label=_("Grade (CTCAE v5)"), coerce=int,
                                   choices=[(g, str(g)) for g in rules.GRADES])
    death = forms.BooleanField(label=_("death"), required=False)
    life_threatening = forms.BooleanField(label=_("life-threatening"), required=False)
    hospitalization = forms.BooleanField(label=_("hospitalization or its prolongation"),
                                         required=False)
    disability = forms.BooleanField(label=_("disability"), required=False)
    congenital_anomaly = forms.BooleanField(label=_("congenital anomaly"), required=False)
    important_medical_event = forms.BooleanField(label=_("important medical event"),
                                                 required=False)
    relatedness = forms.ChoiceField(label=_("Relation to the study infusion"),
                                    choices=_choices(rules.RELATEDNESS))
    expectedness = forms.ChoiceField(label=_("Expectedness (reference safety information)"),
                                     choices=_choices(rules.EXPECTEDNESS), initial="unknown")
    action_taken = forms.ChoiceField(label=_("Action taken"),
                                     choices=_choices(rules.ACTIONS_TAKEN), initial="unknown")
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_choices(rules.OUTCOMES),
                                initial="unknown")
    sponsor_aware_date = forms.DateField(label=_("Sponsor aware (day 0)"), required=False,
                                         widget=forms.DateInput(attrs={"type": "date"}))

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ReportForm(EventForm):
    participant = forms.ChoiceField(label=_("Participant"))
    field_order = ("participant",)

    def __init__(self, *args: Any, participants: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = [(code, code) for code in participants]

    def values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values.pop("participant")
        return values


class UpdateForm(EventForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=TEXT_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values.pop("reason")
        return values


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=_choices(AdverseEventFollowUp.KINDS))
    text = forms.CharField(label=_("What changed"), max_length=TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=_choices(rules.OUTCOMES))
    resolved = forms.BooleanField(label=_("Resolved"), required=False)
    end_date = forms.DateField(label=_("End date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))


class CodeForm(forms.Form):
    llt_code = forms.RegexField(label=_("LLT code"), regex=r"^\d+$", max_length=12)
    llt_name = forms.CharField(label=_("LLT name"), max_length=TERM_MAX, required=False)
    pt_code = forms.RegexField(label=_("PT code"), regex=r"^\d*$", max_length=12,
                               required=False)
    pt_name = forms.CharField(label=_("PT name"), max_length=TERM_MAX, required=False)
    soc_code = forms.RegexField(label=_("SOC code"), regex=r"^\d*$", max_length=12,
                                required=False)
    soc_name = forms.CharField(label=_("SOC name"), max_length=TERM_MAX, required=False)
    reason = forms.CharField(label=_("Reason (to change a code)"), max_length=TEXT_MAX,
                             required=False)
