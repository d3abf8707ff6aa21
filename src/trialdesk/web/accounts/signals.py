"""Logins, logouts and failed logins go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from trialdesk.web.core.audit import append_audit


def _client(request: Any) -> dict[str, Any]:
    if request is None:
        return {}
    return {"ip": {"old": None, "new": request.META.get("REMOTE_ADDR", "")}}


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        append_audit(actor=user.get_username(), action="login", model="user",
                     object_id=user.get_username(), changes=_client(request))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        append_audit(actor=user.get_username(), action="logout", model="user",
                     object_id=user.get_username(), changes=_client(request))


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        append_audit(actor=username or "(anonymous)", action="login_failed", model="user",
                     object_id=username, changes=_client(request))
