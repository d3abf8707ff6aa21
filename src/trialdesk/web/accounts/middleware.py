"""A signed-in session of an account that must sign in with two factors, whose code was not
given, is sent to the code page (the API answers 401 ``two_factor_required``).

Such a session exists when the password signed it in before a code was asked: the protocol
marked the role ``two_factor_required`` later, the user was given such a role, or the operator
reset the authenticator. The sign-in itself never makes one (``two_factor``: the password alone
signs no such user in).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from trialdesk.web.accounts import two_factor

# signing in (the code page too) and out, the language, files
PASSED_THROUGH = ("/accounts/login/", "/accounts/logout/", "/accounts/language/", "/i18n/",
                  "/static/", "/favicon.ico")
SESSION_REFUSAL = ("this session was signed in without a sign-in code, and this account must "
                   "now sign in with two factors: sign in again on the web, or use an API token "
                   "issued with a code")


class TwoFactorSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (request.path_info.startswith(PASSED_THROUGH) or not user.is_authenticated
                or two_factor.session_verified(request, user)):
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            # the API's error shape (api.errors, which imports this app)
            response = JsonResponse({"error": "two_factor_required", "detail": SESSION_REFUSAL},
                                    status=401)
            add_never_cache_headers(response)
            return response
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
        if two_factor.resume(request, user, next_url):
            return redirect("accounts:login_code")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
