"""Pages wait while the account must change its password or its role is not delegated.

The refusal itself is ``core.actor``'s (``gate`` is one of its ROLE_GATES), so the API and every
page refuse alike; on the pages this middleware turns it into the password form, or a page that
says whose signature the delegation waits for, instead of the generic "not allowed".
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from trialdesk.web.administration.gate import PasswordChangeRequired, RoleNotDelegated
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.errors import Forbidden

# signing in and out, the language, the API (it answers 403 with the reason), public pages
PASSED_THROUGH = ("/accounts/", "/i18n/", "/static/", "/api/", "/redcap/", "/registry",
                  "/favicon.ico")


class AccountGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        password_page = reverse("administration:change_password")
        if (not request.user.is_authenticated or request.path_info == password_page
                or request.path_info.startswith(PASSED_THROUGH)):
            return self.get_response(request)
        try:
            actor_for(request.user)
        except PasswordChangeRequired:
            return redirect(password_page)
        except RoleNotDelegated as refusal:
            return render(request, "administration/not_delegated.html",
                          {"refusal": refusal}, status=403)
        except Forbidden:
            pass  # no role, or none chosen: the page itself answers
        return self.get_response(request)
