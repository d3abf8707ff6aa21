"""Who calls: the REDCap token's user, as an Actor, or the reason the call is refused (401)."""

from __future__ import annotations

import datetime as dt
import re

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from trialdesk.web.core.actor import Actor, actor_for
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.redcap.models import RedcapToken, hash_redcap_token
from trialdesk.web.redcap.wire import RedcapError

_TOKEN = re.compile(r"^[0-9A-Fa-f]{32}$")


def locked_out(username: str) -> bool:
    """Whether sign-ins of ``username`` are refused now (django-axes' count by username, within
    its cool-off): a token must not outlive the lockout of its account's password."""
    attempts = AccessAttempt.objects.filter(username=username)
    cool_off = settings.AXES_COOLOFF_TIME
    if cool_off is not None:
        span = cool_off if isinstance(cool_off, dt.timedelta) else dt.timedelta(hours=cool_off)
        attempts = attempts.filter(attempt_time__gte=timezone.now() - span)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    return failures >= settings.AXES_FAILURE_LIMIT


def token_actor(token: str) -> Actor:
    """The Actor of a REDCap token; RedcapError 401 for a malformed, unknown or revoked token
    and for a deactivated or locked-out account (one message: it says nothing of which)."""
    if not _TOKEN.match(token):
        raise RedcapError(401, "token: must be 32 hexadecimal characters (the project's API "
                               "token)")
    record = (RedcapToken.objects.select_related("user")
              .filter(key_hash=hash_redcap_token(token)).first())
    refused = RedcapError(401, "You do not have permissions to use the API: the token is "
                               "unknown, revoked, or its account is deactivated or locked out")
    if record is None or not record.user.is_active or locked_out(record.user.get_username()):
        raise refused
    try:
        return actor_for(record.user)
    except Forbidden:  # an account without a role in the trial, or with several (none chosen)
        raise refused from None
