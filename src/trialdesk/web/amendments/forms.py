"""The amendment pages' form: a site's ethics approval of a version."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ApprovalForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    approval_date = forms.DateField(label=_("Ethics committee approval date"),
                                    widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, sites: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["site"].choices = [(code, code) for code in sites]
