"""The sponsor administrator's pages: sites, users and their roles, the delegation log with
training records; the principal investigator's signing page; the forced password change."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trialdesk.web.accounts.actions import do_deactivate_user
from trialdesk.web.administration import actions, forms, presenters
from trialdesk.web.administration.gate import SITE_SIGNER_PERMISSION, TRIAL_PI_PERMISSION
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Site
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import ANY_ROLE
from trialdesk.web.trials.actions.sites import do_set_site_status

USERS, SITES = "manage_users", "manage_sites"
SIGNERS = (SITE_SIGNER_PERMISSION, TRIAL_PI_PERMISSION)


def _language() -> str:
    return (get_language() or "en")[:2]


@require_GET
@page((USERS, SITES), record_readers=None)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    return redirect("administration:users" if actor.can(USERS) else "administration:sites")


# --- sites ---------------------------------------------------------------------------------------

@require_GET
@page(SITES, record_readers=None)
def sites(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "administration/sites.html",
                  {"actor": actor, "rows": presenters.site_rows()})


@require_http_methods(["GET", "POST"])
@page(SITES, record_readers=None)
def site_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = actions.do_create_site(actor, **form.cleaned_data)
        except InvalidInput as error:
            forms.show_refusal(form, error)
        else:
            messages.success(request, _("Site %(code)s created (planned).") % {"code": site.code})
            return redirect("administration:site", code=site.code)
    return render(request, "administration/site_new.html", {"actor": actor, "form": form},
                  status=422 if request.method == "POST" else 200)


def _site(code: str) -> Site:
    site = Site.objects.filter(code=code).first()
    if site is None:
        raise Http404("no such site")
    return site


def _site_page(request: HttpRequest, actor: Actor, site: Site, *,
               settings_form: forms.SiteSettingsForm | None = None,
               status_form: forms.SiteStatusForm | None = None, status: int = 200
               ) -> HttpResponse:
    current = actions.settings_of(site)
    investigators = presenters.site_investigators(site)
    settings_form = settings_form or forms.SiteSettingsForm(investigators=investigators, initial={
        "time_zone": current.time_zone, "language": current.language,
        "principal_investigator": (current.principal_investigator.get_username()
                                   if current.principal_investigator else "")})
    return render(request, "administration/site.html", {
        "actor": actor, "site": site, "settings": current, "settings_form": settings_form,
        "status_form": status_form or forms.SiteStatusForm(initial={"status": site.status}),
    }, status=status)


@require_GET
@page(SITES, record_readers=None)
def site(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    return _site_page(request, actor, _site(code))


@require_POST
@page(SITES, record_readers=None)
def site_settings(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    found = _site(code)
    form = forms.SiteSettingsForm(request.POST, investigators=presenters.site_investigators(found))
    if form.is_valid():
        try:
            actions.do_update_site(actor, code, **form.cleaned_data)
        except InvalidInput as error:
            forms.show_refusal(form, error)
        else:
            messages.success(request, _("Site %(code)s saved.") % {"code": code})
            return redirect("administration:site", code=code)
    return _site_page(request, actor, found, settings_form=form, status=422)


@require_POST
@page(SITES, record_readers=None)
def site_status(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    found = _site(code)
    form = forms.SiteStatusForm(request.POST)
    if form.is_valid():
        try:
            do_set_site_status(actor, code, form.cleaned_data["status"],
                               reason=form.cleaned_data["reason"])
        except InvalidInput as error:
            forms.show_refusal(form, error)
        except Conflict as error:
            forms.show_conflict(form, error, "status")
        else:
            label = dict(form.fields["status"].choices)[form.cleaned_data["status"]]
            messages.success(request, _("Site %(code)s is now %(status)s.") % {
                "code": code, "status": label})
            return redirect("administration:site", code=code)
    return _site_page(request, actor, found, status_form=form, status=422)


# --- users ---------------------------------------------------------------------------------------

@require_GET
@page(USERS, record_readers=None)
def users(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "administration/users.html",
                  {"actor": actor, "rows": presenters.user_rows()})


@require_http_methods(["GET", "POST"])
@page(USERS, record_readers=None)
def user_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.UserForm(request.POST or None, roles=presenters.assignable_roles(_language()),
                          sites=presenters.site_codes())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_create_user_with_delegation(
                actor, username=data["username"], role=data["role"], site=data["site"] or None,
                password=data["password"], email=data["email"], language=data["language"],
                duties=data["duties"], start_date=data["start_date"], end_date=data["end_date"])
        except InvalidInput as error:
            forms.show_refusal(form, error)
        else:
            messages.success(request, _("User %(name)s created; the role waits for its "
                                        "delegation to be signed.") % {"name": data["username"]})
            return redirect("administration:user", username=data["username"])
    return render(request, "administration/user_new.html", {"actor": actor, "form": form},
                  status=422 if request.method == "POST" else 200)


def _person(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise Http404("no such user")
    return user


def _user_page(request: HttpRequest, actor: Actor, person: Any, status: int = 200,
               **bound: Any) -> HttpResponse:
    roles, codes = presenters.assignable_roles(_language()), presenters.site_codes()
    return render(request, "administration/user.html", {
        "actor": actor, "person": person,
        "memberships": presenters.membership_rows(person),
        "delegations": person.delegations.select_related("site").order_by("-created_at", "-pk"),
        "training": presenters.training_rows(person),
        "membership_form": bound.get("membership_form") or forms.MembershipForm(
            roles=roles, sites=codes),
        "training_form": bound.get("training_form") or forms.TrainingForm(),
        "deactivate_form": bound.get("deactivate_form") or forms.DeactivateForm(),
        "end_form": bound.get("end_form") or forms.EndDelegationForm(
            entries=presenters.endable_delegations(person)),
        "reset_form": bound.get("reset_form") or forms.ResetPasswordForm(),
    }, status=status)


@require_GET
@page(USERS, record_readers=None)
def user(request: HttpRequest, actor: Actor, username: str) -> HttpResponse:
    return _user_page(request, actor, _person(username))


def _user_write(form_name: str, form_class: Callable[..., Any],
                write: Callable[[Actor, str, dict[str, Any]], str]) -> Callable[..., HttpResponse]:
    """A POST of one of the user page's forms: the write, or the page with the form's errors."""

    @require_POST
    @page(USERS, record_readers=None)
    @functools.wraps(write)
    def view(request: HttpRequest, actor: Actor, username: str) -> HttpResponse:
        person = _person(username)
        if form_class is forms.MembershipForm:
            form = form_class(request.POST, roles=presenters.assignable_roles(_language()),
                              sites=presenters.site_codes())
        elif form_class is forms.EndDelegationForm:
            form = form_class(request.POST, entries=presenters.endable_delegations(person))
        else:
            form = form_class(request.POST)
        if form.is_valid():
            try:
                done = write(actor, username, form.cleaned_data)
            except InvalidInput as error:
                forms.show_refusal(form, error)
            except Conflict as error:
                forms.show_conflict(form, error)
            else:
                messages.success(request, done)
                return redirect("administration:user", username=username)
        return _user_page(request, actor, person, status=422, **{form_name: form})

    return view


def _add_membership(actor: Actor, username: str, data: dict[str, Any]) -> str:
    actions.do_add_role_with_delegation(
        actor, username, role=data["role"], site=data["site"] or None, duties=data["duties"],
        start_date=data["start_date"], end_date=data["end_date"])
    return _("Role added; it waits for its delegation to be signed.")


def _record_training(actor: Actor, username: str, data: dict[str, Any]) -> str:
    actions.do_record_training(actor, username, **data)
    return _("Training recorded.")


def _deactivate(actor: Actor, username: str, data: dict[str, Any]) -> str:
    do_deactivate_user(actor, username, reason=data["reason"])
    return _("%(name)s is deactivated: the account can no longer sign in.") % {"name": username}


def _reset_password(actor: Actor, username: str, data: dict[str, Any]) -> str:
    actions.do_reset_password(actor, username, new_password=data["new_password"])
    return _("Password reset: %(name)s must change it before doing anything else.") % {
        "name": username}


def _end_delegation(actor: Actor, username: str, data: dict[str, Any]) -> str:
    actions.do_end_delegation(actor, int(data["delegation"]), end_date=data["end_date"],
                              reason=data["reason"])
    return _("Delegation ended.")


user_end_delegation = _user_write("end_form", forms.EndDelegationForm, _end_delegation)
user_add_membership = _user_write("membership_form", forms.MembershipForm, _add_membership)
user_training = _user_write("training_form", forms.TrainingForm, _record_training)
user_deactivate = _user_write("deactivate_form", forms.DeactivateForm, _deactivate)
user_reset_password = _user_write("reset_form", forms.ResetPasswordForm, _reset_password)


# --- the delegation log and its signatures ------------------------------------------------------

@require_GET
@page(USERS, record_readers=None)
def delegations(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "administration/delegations.html",
                  {"actor": actor, "entries": presenters.delegation_log()})


def _sign_page(request: HttpRequest, actor: Actor, errors: dict[int, forms.SignForm] | None = None,
               status: int = 200) -> HttpResponse:
    errors = errors or {}
    entries = [(entry, errors.get(entry.pk) or forms.SignForm())
               for entry in actions.delegations_to_sign(actor)]
    return render(request, "administration/sign.html", {"actor": actor, "entries": entries},
                  status=status)


@require_GET
@page(SIGNERS, record_readers=None)
def to_sign(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _sign_page(request, actor)


@require_POST
@page(SIGNERS, record_readers=None)
def sign(request: HttpRequest, actor: Actor, delegation_id: int) -> HttpResponse:
    form = forms.SignForm(request.POST)
    if form.is_valid():
        try:
            actions.do_sign_delegation(actor, delegation_id,
                                       password=form.cleaned_data["password"])
        except InvalidInput as error:
            forms.show_refusal(form, error)
        except Conflict as error:
            forms.show_conflict(form, error)
        else:
            messages.success(request, _("Delegation signed."))
            return redirect("administration:to_sign")
    return _sign_page(request, actor, {delegation_id: form}, status=422)


# --- the user's own password ----------------------------------------------------------------------

def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the user's own account: signed in, whatever the state of their role (the
    forced password change comes before any role is usable)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    wrapper.permission = ANY_ROLE  # type: ignore[attr-defined]
    return wrapper


@signed_in
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    form = forms.ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_own_password(request.user, **form.cleaned_data)
        except InvalidInput as error:
            forms.show_refusal(form, error)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in
            messages.success(request, _("Password changed."))
            return redirect("/")
    forced = presenters.must_change_password(request.user)
    return render(request, "administration/change_password.html",
                  {"form": form, "forced": forced},
                  status=422 if request.method == "POST" else 200)
