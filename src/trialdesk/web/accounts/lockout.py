"""The sign-in lockout: per account, and per address only past a much higher threshold.

django-axes counts failed sign-ins (the login page and the API's token exchange both go through
``authenticate``). Counted by address, five wrong passwords for one user locked out everyone
behind that address: a hospital's NAT, a whole ward. So axes counts by username
(``AXES_LOCKOUT_PARAMETERS = ["username"]``: five failures lock that account, whatever the
address), and this handler adds the address on its own terms: once an address has failed
``TRIALDESK_LOGIN_ADDRESS_FAILURE_LIMIT`` times (any usernames) within the cool-off, every
sign-in from it is refused. Refused attempts during a lockout are not counted (nor do they
extend it), so a locked account opens again one cool-off after its last counted failure.

When an account is locked, its owner (if the account has an e-mail address) and the
administrators (``settings.ADMINS``, else the users with the role ``admin``) get one e-mail each;
an address locked out is told to the administrators. The e-mails are queued and sent by retried
tasks (``outbox.mail``), so a mail server that is down neither slows nor fails a sign-in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext, ngettext

from trialdesk.web.core.models import Membership
from trialdesk.web.outbox.mail import queue_translated_mail

log = logging.getLogger(__name__)

ADMIN_ROLE = "admin"


def address_failure_limit() -> int:
    return settings.TRIALDESK_LOGIN_ADDRESS_FAILURE_LIMIT


def _minutes(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return round(cool_off.total_seconds() / 60) if cool_off else 0


class TrialLockoutHandler(AxesDatabaseHandler):
    """axes' database handler, counting failures per username, plus the address threshold."""

    def address_failures(self, request: HttpRequest) -> int:
        """Failed sign-ins from the request's address within the cool-off, whatever usernames."""
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # axes locks out when this reaches AXES_FAILURE_LIMIT: the username's failures, or the
        # limit itself once the address is past its own, higher, threshold
        failures = super().get_failures(request, credentials)
        if self.address_failures(request) >= address_failure_limit():
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None,
                          **kwargs: Any) -> None:
        refused_as_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused_as_locked:
            return  # not counted: nothing new to tell
        username = get_client_username(request, credentials)
        if username and AxesDatabaseHandler.get_failures(self, request, credentials) == (
                get_failure_limit(request, credentials)):
            _tell_account_locked(request, username)
        if self.address_failures(request) == address_failure_limit():
            _tell_address_locked(request)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """429: the API's JSON error shape on /api/, plain text on the pages."""
    detail = (f"too many failed sign-ins for this account or from this address: try again in "
              f"{_minutes(request)} minutes")
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": "locked_out", "detail": detail}, status=429,
                            content_type="application/json; charset=utf-8")
    return HttpResponse(detail[0].upper() + detail[1:] + ".\n", status=429,
                        content_type="text/plain; charset=utf-8")


def admin_addresses() -> list[str]:
    """``settings.ADMINS``, else the e-mail addresses of the active users with the admin role."""
    addresses = [address for _, address in settings.ADMINS]
    if addresses:
        return addresses
    memberships = Membership.objects.filter(role=ADMIN_ROLE, active=True,
                                            user__is_active=True).exclude(
        user__email="").select_related("user")
    return sorted({membership.user.email for membership in memberships})


def _send(compose: Callable[[], tuple[str, str]], recipients: list[str]) -> None:
    """Queue the message ``compose`` writes (subject and body in the current language) to each
    recipient, in the recipient's language (``outbox.languages``)."""
    if not recipients:
        return

    def tagged() -> tuple[str, str]:
        subject, body = compose()
        return f"[trialdesk] {subject}", body

    with transaction.atomic():  # the messages and their delivery tasks together
        queue_translated_mail("sign_in_lockout", tagged, recipients)


def _for_minutes(minutes: int) -> str:
    return ngettext("%(minutes)s minute", "%(minutes)s minutes", minutes) % {"minutes": minutes}


def _tell_account_locked(request: HttpRequest, username: str) -> None:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return  # no account to lock: guessed names are not mailed about (one mail per guess)
    facts = {"username": username, "address": request.axes_ip_address,
             "limit": get_failure_limit(request, None)}
    minutes = _minutes(request)
    if user.email:
        _send(lambda: (
            gettext("Your account was locked"),
            gettext("Your trialdesk account %(username)s was locked for %(duration)s. It had "
                    "%(limit)s failed sign-ins, the last from %(address)s.\n\nIf it was not "
                    "you, tell the trial's administrator: someone may be guessing your "
                    "password.\n") % {**facts, "duration": _for_minutes(minutes)}),
              [user.email])
    else:
        log.warning("account %s locked; it has no e-mail address to tell", username)
    _send(lambda: (
        gettext("Account %(username)s locked") % facts,
        gettext("The trialdesk account %(username)s was locked for %(duration)s. It had "
                "%(limit)s failed sign-ins, the last from %(address)s. Other accounts are not "
                "affected.\n") % {**facts, "duration": _for_minutes(minutes)}),
          admin_addresses())


def _tell_address_locked(request: HttpRequest) -> None:
    facts = {"address": request.axes_ip_address, "limit": address_failure_limit()}
    minutes = _minutes(request)
    _send(lambda: (
        gettext("Sign-ins from %(address)s refused") % facts,
        gettext("%(limit)s sign-ins from %(address)s failed within %(duration)s, whatever the "
                "accounts: every sign-in from that address is refused for %(duration)s. If it "
                "is a shared address (a hospital's NAT), its users cannot sign in "
                "meanwhile.\n") % {**facts, "duration": _for_minutes(minutes)}),
          admin_addresses())
