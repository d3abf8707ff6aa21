"""The page where a person holding several roles chooses the one to act as (after signing in,
or from the header's "Switch role" link). The choice is kept in the session (``core.acting``)
and audited (``do_choose_membership``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from trialdesk.web.accounts.actions import do_choose_membership
from trialdesk.web.core.acting import SESSION_KEY
from trialdesk.web.core.actor import acting_membership, active_memberships
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.pages import public


def _next_url(request: HttpRequest) -> str:
    """Where to go once chosen: the page asked for, if it is one of ours, else the start page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@public  # signed in, but with no role chosen yet: it cannot ask for a permission
def choose_role(request: HttpRequest) -> HttpResponse:
    """List the person's active memberships; a POST of one acts as it from then on."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    memberships = active_memberships(request.user)
    current = acting_membership(request.user)
    next_url = _next_url(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            chosen = do_choose_membership(request.user, request.POST.get("membership", ""),
                                          previous=current)
        except InvalidInput:
            error, status = _("Choose one of your active roles."), 422
        else:
            request.session[SESSION_KEY] = chosen.pk
            return redirect(next_url)
    response = render(request, "accounts/choose_role.html",
                      {"memberships": memberships, "current": current, "next": next_url,
                       "error": error}, status=status)
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response
