"""The search form: every filter is a labelled field, so the page works without JavaScript."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trialdesk.standards.ctgov.enums import OverallStatus
from trialdesk.standards.related import STATUS_ORDER
from trialdesk.web.registry.labels import CODE_LABELS, PHASE_LABELS

STATUS_CHOICES = [("", _("Any status")), *((s, CODE_LABELS[s]) for s in STATUS_ORDER)]
PHASE_CHOICES = [("", _("Any phase")), *PHASE_LABELS.items()]
assert {code for code, _ in STATUS_CHOICES[1:]} == set(OverallStatus.__args__)  # noqa: S101


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search words"), required=False, max_length=200,
                        help_text=_("Titles, summaries, conditions and interventions."),
                        widget=forms.TextInput(attrs={"aria-describedby": "id_q-help",
                                                      "type": "search"}))
    condition = forms.CharField(label=_("Condition"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    phase = forms.ChoiceField(label=_("Phase"), required=False, choices=PHASE_CHOICES)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100000,
                              widget=forms.HiddenInput)
