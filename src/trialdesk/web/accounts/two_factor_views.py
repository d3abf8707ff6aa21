"""The pages of two-factor sign-in (``trialdesk.web.accounts.two_factor``): the code after the
password (with enrolment when a role requires a code and none is set up), and each user's own
page to turn it on or off."""

from __future__ import annotations

from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from trialdesk.web.accounts import two_factor
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Membership
from trialdesk.web.core.pages import page, public
from trialdesk.web.core.permissions import ANY_ROLE

WRONG_CODE = gettext_lazy("That code is wrong or has expired. Type the 6 digits your "
                          "authenticator app shows now.")


def _private(response: HttpResponse) -> HttpResponse:
    # the enrolment page shows a secret: never kept by the browser or a proxy
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def _wait_message(seconds: int) -> str:
    # no plural form: the catalogue check reads singular entries only
    return _("Too many wrong codes: wait (%(seconds)d s) and try again.") % {"seconds": seconds}


def _sign_in(request: HttpRequest, state: two_factor.Pending, device: Any) -> HttpResponse:
    two_factor.end(request)
    auth_login(request, state.user, backend=state.backend)
    django_otp.login(request, device)
    response = redirect(state.next_url)
    language = (Membership.objects.filter(user=state.user).exclude(language="")
                .values_list("language", flat=True).first())
    if language:
        translation.activate(language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax",
                            httponly=True)
    return response


@public
@sensitive_post_parameters("code")
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code, or enrolment if the role requires a code and
    the user has no authenticator yet."""
    state = two_factor.pending(request)
    if state is None:
        two_factor.end(request)
        return redirect("accounts:login")
    enrolling = two_factor.device_of(state.user) is None
    context: dict[str, Any] = {"enrolling": enrolling}
    status = 200
    if request.method == "POST":
        code = request.POST.get("code", "")
        if enrolling:
            try:
                device = two_factor.do_enable_two_factor(
                    state.user, key=two_factor.new_key(request), code=code)
            except InvalidInput:
                context["error"], status = WRONG_CODE, 422
            else:
                return _sign_in(request, state, device)
        else:
            check = two_factor.do_check_sign_in_code(
                state.user, code, address=request.META.get("REMOTE_ADDR", ""))
            if check.device is not None:
                return _sign_in(request, state, check.device)
            context["error"] = (_wait_message(check.wait_seconds) if check.wait_seconds
                                else WRONG_CODE)
            status = 429 if check.wait_seconds else 422
    if enrolling:
        context.update(two_factor.setup_details(state.user, two_factor.new_key(request)))
    return _private(render(request, "accounts/login_code.html", context, status=status))


@page(ANY_ROLE)
@sensitive_post_parameters("code")
def two_factor_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The user's own page: turn two-factor sign-in on (QR code, then a code) or off."""
    user = request.user
    device = two_factor.device_of(user)
    context: dict[str, Any] = {"enabled": device is not None,
                               "required": two_factor.required_for(user)}
    status = 200
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            if device is None:
                device = two_factor.do_enable_two_factor(user, key=two_factor.new_key(request),
                                                         code=code)
                request.session.pop(two_factor.NEW_KEY, None)
                # the code just given verifies this session (others must give one)
                django_otp.login(request, device)
                messages.success(request, _("Two-factor sign-in is on. Your next sign-in asks "
                                            "for a code from your authenticator app."))
                return redirect("accounts:two_factor")
            check = two_factor.do_disable_two_factor(user, code=code)
        except InvalidInput:
            context["error"], status = WRONG_CODE, 422
        except Conflict:  # required by a role (the page offers no form then), or already off
            context["error"], status = _("Two-factor sign-in cannot be turned off for your "
                                         "role."), 409
        else:
            if check.device is not None:
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("accounts:two_factor")
            context["error"] = (_wait_message(check.wait_seconds) if check.wait_seconds
                                else WRONG_CODE)
            status = 429 if check.wait_seconds else 422
    if device is None:
        context.update(two_factor.setup_details(user, two_factor.new_key(request)))
    return _private(render(request, "accounts/two_factor.html", context, status=status))
