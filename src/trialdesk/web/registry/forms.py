"""The search form: every filter is a labelled field, so the page works without JavaScript."""

from __future__ import annotations

from django import forms

from trialdesk.protocol.registry import PHASE_DISPLAY, format_status
from trialdesk.standards.ctgov.enums import OverallStatus
from trialdesk.standards.related import STATUS_ORDER

STATUS_CHOICES = [("", "Any status"), *((s, format_status(s)) for s in STATUS_ORDER)]
PHASE_CHOICES = [("", "Any phase"), *PHASE_DISPLAY.items()]
assert {code for code, _ in STATUS_CHOICES[1:]} == set(OverallStatus.__args__)  # noqa: S101


class SearchForm(forms.Form):
    q = forms.CharField(label="Search words", required=False, max_length=200,
                        help_text="Titles, summaries, conditions and interventions.",
                        widget=forms.TextInput(attrs={"aria-describedby": "id_q-help",
                                                      "type": "search"}))
    condition = forms.CharField(label="Condition", required=False, max_length=200)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    phase = forms.ChoiceField(label="Phase", required=False, choices=PHASE_CHOICES)
    page = forms.IntegerField(label="Page", required=False, min_value=1, max_value=100000,
                              widget=forms.HiddenInput)
