"""The administration pages' forms; a rule an action refuses is shown beside its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trialdesk.web.administration.models import LANGUAGES
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.refusals import in_reader_language

DATE = forms.DateInput(attrs={"type": "date"})


def show_refusal(form: forms.Form, error: InvalidInput) -> None:
    """Put an action's refusal beside the field it names (else above the form), in the reader's
    language (the action refuses in English, as the API says it)."""
    field = error.field if error.field in form.fields else None
    rule = in_reader_language(error.rule)
    form.add_error(field, rule if field else f"{error.field}: {rule}")


def show_conflict(form: forms.Form, error: Conflict, field: str | None = None) -> None:
    """Put an action's refusal of the trial's state above the form (or beside ``field``), in
    the reader's language."""
    form.add_error(field, in_reader_language(error.message))


class SiteForm(forms.Form):
    code = forms.CharField(label=_("Site code"), max_length=5,
                           help_text=_("Two capital letters, a hyphen, two digits: CO-04."))
    name = forms.CharField(label=_("Name"), max_length=200)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="America/Bogota",
                                help_text=_("An IANA time zone, such as America/Bogota."))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, initial="es")


class SiteSettingsForm(forms.Form):
    time_zone = forms.CharField(label=_("Time zone"), max_length=64)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    principal_investigator = forms.ChoiceField(
        label=_("Principal investigator"), required=False,
        help_text=_("Signs the delegations of the site's staff."))

    def __init__(self, *args: Any, investigators: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["principal_investigator"].choices = [
            ("", _("(not named)")), *((name, name) for name in investigators)]


class SiteStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=(
        ("planned", _("planned")), ("active", _("active")), ("suspended", _("suspended")),
        ("closed", _("closed"))))
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DelegationFields(forms.Form):
    duties = forms.CharField(label=_("Delegated duties"), widget=forms.Textarea(attrs={"rows": 2}))
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE,
                                 help_text=_("Empty: today."))
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE)


def _role_choices(roles: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "—"), *roles]


class UserForm(DelegationFields):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"))
    site = forms.ChoiceField(label=_("Site"), required=False,
                             help_text=_("For a site role; empty for a trial-wide role."))
    language = forms.ChoiceField(label=_("Language"), choices=(("", "—"), *LANGUAGES),
                                 required=False, help_text=_("Empty: the site's language."))
    password = forms.CharField(label=_("Temporary password"), widget=forms.PasswordInput,
                               help_text=_("The user must change it at the first sign-in."))
    field_order = ("username", "email", "role", "site", "language", "password", "duties",
                   "start_date", "end_date")

    def __init__(self, *args: Any, roles: list[tuple[str, str]], sites: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["site"].choices = [("", "—"), *((code, code) for code in sites)]


class MembershipForm(DelegationFields):
    role = forms.ChoiceField(label=_("Role"))
    site = forms.ChoiceField(label=_("Site"), required=False)
    field_order = ("role", "site", "duties", "start_date", "end_date")

    def __init__(self, *args: Any, roles: list[tuple[str, str]], sites: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["site"].choices = [("", "—"), *((code, code) for code in sites)]


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("Course"), max_length=200)
    completed_on = forms.DateField(label=_("Completed on"), widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)


class EndDelegationForm(forms.Form):
    delegation = forms.ChoiceField(label=_("Delegation"))
    end_date = forms.DateField(label=_("End date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, entries: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegation"].choices = [(str(pk), label) for pk, label in entries]


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ResetPasswordForm(forms.Form):
    new_password = forms.CharField(label=_("Temporary password"), widget=forms.PasswordInput)


class SignForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)


class ChangePasswordForm(forms.Form):
    current_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
