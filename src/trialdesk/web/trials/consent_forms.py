"""The consent pages' forms (issue 17): the first consent with who signed, witness, time, the
person who obtained it and the scan; the later events. Choices come from the protocol's
``[consent]`` section and the site's users; the rules themselves are the actions'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from trialdesk.protocol.consent import LEVELS
from trialdesk.web.amendments.consent import consent_rules_for_site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Consent, Participant

SIGNER_LABELS = {Consent.PARTICIPANT: _("The participant"),
                 Consent.LAR: _("A legally authorized representative")}
LEVEL_LABELS = {
    "treatment": _("From the study treatment only (visits go on)"),
    "follow_up": _("From the follow-up visits (and the treatment)"),
    "all_data": _("From all further data collection"),
}
KIND_LABELS = {
    "capacity_regained": _("Capacity regained"),
    "confirmed": _("Own consent given"),
    "refused": _("Own consent refused"),
    "withdrawn": _("Consent withdrawn"),
    "reconsented": _("New version signed"),
}
LANGUAGE_LABELS = {"en": _("English"), "es": _("Spanish")}
DATE = forms.DateInput(attrs={"type": "date"})


def _site_users(participant: Participant) -> list[tuple[str, str]]:
    users = get_user_model().objects.filter(
        is_active=True, memberships__site=participant.site, memberships__active=True,
    ).distinct().order_by("username")
    return [("", _("Me"))] + [(user.username, user.username) for user in users]


class ConsentForm(forms.Form):
    consent_date = forms.DateField(label=_("Date of consent"), widget=DATE)
    consent_time = forms.TimeField(label=_("Time of consent (site's local time)"),
                                   required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    form_version = forms.CharField(label=_("Consent form version"), max_length=40)
    language = forms.ChoiceField(label=_("Language of the document"), required=False)
    signer = forms.ChoiceField(label=_("Signed by"), choices=list(SIGNER_LABELS.items()),
                               initial=Consent.PARTICIPANT, required=False)
    lar_name = forms.CharField(label=_("Representative's name"), max_length=200,
                               required=False)
    lar_relationship = forms.CharField(label=_("Representative's relationship to the patient"),
                                       max_length=100, required=False)
    signer_can_read = forms.BooleanField(label=_("The signer can read"), required=False,
                                         initial=True)
    witness_name = forms.CharField(label=_("Impartial witness's name"), max_length=200,
                                   required=False)
    obtained_by = forms.ChoiceField(label=_("Consent obtained by"), required=False)
    document = forms.FileField(label=_("Scanned signed document (PDF, PNG or JPEG)"),
                               required=False)

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the versions in force at the site: an approved amendment may have added one (issue 17)
        rules = consent_rules_for_site(participant.site.code)
        if rules is not None:
            self.fields["form_version"] = forms.ChoiceField(
                label=_("Consent form version"),
                choices=[(v.version, v.version) for v in rules.versions])
            languages = sorted({lang for v in rules.versions for lang in v.languages})
        else:
            languages = list(get_protocol().languages)
        self.fields["language"].choices = [("", _("The version's first"))] + [
            (code, LANGUAGE_LABELS.get(code, code)) for code in languages]
        self.fields["obtained_by"].choices = _site_users(participant)
        if not self.is_bound:
            self.fields["signer_can_read"].initial = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # a form posted with only a date and a version (an older client): the participant
        # signed, and reads
        if "signer_can_read" not in self.data and "signer" not in self.data:
            data["signer_can_read"] = True
        data["signer"] = data.get("signer") or Consent.PARTICIPANT
        return data


class ReconsentForm(ConsentForm):
    """A signature on the consent version an amendment put in force: who signed, witness and
    the person obtaining it, as for the first consent (its time and scan are the first's only)."""

    def __init__(self, *args: Any, participant: Participant, version: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, participant=participant, **kwargs)
        del self.fields["consent_time"], self.fields["document"]
        self.fields["consent_date"].label = _("Date of the new signature")
        if version is not None and not self.is_bound:
            self.fields["form_version"].initial = version


class EventForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawalForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    level = forms.ChoiceField(label=_("Withdrawal"),
                              choices=[(level, LEVEL_LABELS[level]) for level in LEVELS])
    data_use = forms.ChoiceField(label=_("May the data collected so far be used?"),
                                 choices=[("yes", _("Yes")), ("no", _("No"))])
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
