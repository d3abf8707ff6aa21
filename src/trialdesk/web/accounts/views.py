"""Sign in and out. Signing in applies the user's language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from trialdesk.web.accounts import two_factor
from trialdesk.web.accounts.actions import do_set_language
from trialdesk.web.core.models import Membership
from trialdesk.web.core.pages import public
from trialdesk.web.core.permissions import PUBLIC


class TrialLoginView(LoginView):
    permission = PUBLIC
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: object) -> HttpResponse:
        if two_factor.asks_code(form.get_user()):  # the password alone signs no one in
            two_factor.begin(self.request, form.get_user(), self.get_success_url())
            return redirect("accounts:login_code")
        response = super().form_valid(form)
        membership = Membership.objects.filter(user=self.request.user).first()
        if membership is not None and membership.language:
            translation.activate(membership.language)
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, membership.language,
                                samesite="Lax", httponly=True)
        return response


@public
@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language (cookie) and remember it as the signed-in user's choice."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        do_set_language(request.user, language)
    return response


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")
