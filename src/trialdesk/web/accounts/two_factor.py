"""Two-factor sign-in: after the password, a one-time code from an authenticator app (TOTP,
RFC 6238, by django-otp's ``TOTPDevice``), for everyone who enrolled one and required of the roles
the protocol marks ``two_factor_required`` (the ones that see arms, typically).

The password alone never signs in such a user: the login view leaves the session anonymous and
keeps only a pending state (who, which backend, where to go, since when) until the code is right.
A user whose role requires a code but who has no device enrols during that first sign-in (the
page shows the QR code, the otpauth URI and the secret); anyone may enrol from their own page.
Wrong codes are throttled by django-otp (each failure doubles the wait) and audited; a device is
created, replaced or removed by an action, audited, its secret never in the audit trail.

Turning it on and the operator's reset revoke the user's tokens for scripts (``credentials``):
tokens issued on the password alone, or by a lost phone's owner. A token records whether its
exchange checked a code (``ApiToken.two_factor``); one issued without a code to a user who must now
give one (their role requires it, or they hold an authenticator) is refused: ``token_refused``.
"""

from __future__ import annotations

import secrets
import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from typing import Any

import django_otp
import segno
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from trialdesk.web.accounts.credentials import revoke_credentials
from trialdesk.web.core.actions import action
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_protocol

PENDING = "trialdesk_two_factor_pending"
NEW_KEY = "trialdesk_two_factor_new_key"
# the code must follow the password within this many seconds, or the password is asked again
PENDING_SECONDS = 300
CODE_RULE = "must be the 6-digit code your authenticator app shows now"
API_REFUSAL = ("this account signs in with two factors: send the current 6-digit code of its "
               "authenticator app as code (an account whose role requires one and has none "
               "sets it up by signing in on the web first)")
CODELESS_REFUSAL = ("this token was issued without a sign-in code, and this account must now "
                    "sign in with two factors (its role requires it, or it set up an "
                    "authenticator): exchange the password and the current 6-digit code for a "
                    "new token at /api/v1/auth/token")
ENABLED_REASON = "two-factor sign-in turned on: tokens issued without a code are revoked"
RESET_REASON = "two-factor sign-in reset by the operator: "
# a code one 30-second step early or late is accepted (phone clocks drift)
TOLERANCE = 1


def required_for(user: Any) -> bool:
    """Whether one of the user's active roles requires a second factor by the protocol (any
    of them, whichever the person then acts as: the sign-in is the person's)."""
    roles = get_protocol().two_factor_roles()
    return bool(roles) and Membership.objects.filter(user=user, role__in=roles,
                                                     active=True).exists()


def device_of(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def asks_code(user: Any) -> bool:
    """Whether signing in as ``user`` takes a code after the password."""
    return device_of(user) is not None or required_for(user)


def token_refused(user: Any, membership: Membership | None, *, verified: bool,
                  has_device: bool) -> bool:
    """Whether an API token of ``user`` acting as ``membership`` is refused: issued without a
    code (not ``verified``) while signing in now takes one (``has_device``: the user holds an
    authenticator). Asks the database only for such a token under a protocol that requires a
    code of some role, and then only when the token's own role is not one of them."""
    if verified or has_device:
        return not verified
    roles = get_protocol().two_factor_roles()
    if not roles:
        return False
    if membership is not None and membership.active and membership.role in roles:
        return True
    return required_for(user)


# --- the pending sign-in, between the password and the code -----------------------------------

def begin(request: HttpRequest, user: Any, next_url: str) -> None:
    """Remember that ``user`` gave the right password; nobody is signed in yet."""
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "backend": user.backend, "next": next_url,
                                "since": time.time()}


@dataclass(frozen=True)
class Pending:
    user: Any
    backend: str
    next_url: str


def pending(request: HttpRequest) -> Pending | None:
    """The pending sign-in of this browser, if recent and its account still active."""
    state = request.session.get(PENDING)
    if not isinstance(state, dict) or time.time() - state.get("since", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=state.get("user"), is_active=True).first()
    if user is None:
        return None
    return Pending(user, state["backend"], state["next"])


# --- a signed-in session whose code was not given ---------------------------------------------

def session_verified(request: HttpRequest, user: Any) -> bool:
    """Whether this session of ``user`` needs no code: it was signed in with a code of an
    authenticator the user still holds (django-otp's session key), or signing in takes none.
    A session signed in on the password before the role required a code, or before the
    operator reset the authenticator, is not."""
    persistent_id = request.session.get(django_otp.DEVICE_ID_SESSION_KEY)
    if persistent_id:
        device_pk = str(persistent_id).rsplit("/", 1)[-1]
        if device_pk.isdigit() and TOTPDevice.objects.filter(
                pk=int(device_pk), user=user, confirmed=True).exists():
            return True
        request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)  # a removed authenticator
    return not asks_code(user)


def resume(request: HttpRequest, user: Any, next_url: str) -> bool:
    """End this session of ``user`` (signed in, its code not given) and, if the user holds an
    authenticator, make it a pending sign-in that the code completes (True). Without one, the
    password is asked again (False): the enrolment page shows a new secret, which only someone
    who just gave the password may see."""
    backend = request.session.get(BACKEND_SESSION_KEY, "")
    request.session.flush()
    request.user = AnonymousUser()
    if device_of(user) is None or not backend:
        return False
    user.backend = backend
    begin(request, user, next_url)
    return True


def end(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)
    request.session.pop(NEW_KEY, None)


# --- enrolment: a new secret, shown until a code from it is typed ------------------------------

def new_key(request: HttpRequest) -> str:
    """The secret being enrolled in this session (hex, 20 random bytes), made on first use and
    kept in the session only: nothing is stored until a code proves the app has it."""
    key = request.session.get(NEW_KEY)
    if not key:
        key = secrets.token_hex(20)
        request.session[NEW_KEY] = key
    return key


def setup_details(user: Any, key: str) -> dict[str, str]:
    """What the enrolment page shows: the otpauth URI, its QR code (inline SVG) and the secret
    in base32 as authenticator apps take it typed."""
    uri = TOTPDevice(user=user, key=key, name="authenticator").config_url
    secret = b32encode(unhexlify(key)).decode()
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title="otpauth QR code")
    return {"uri": uri, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": qr_svg}


def _code(code: str) -> int:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        raise InvalidInput("code", CODE_RULE)
    return int(code)


@action(None)
def do_enable_two_factor(user: Any, *, key: str, code: str) -> TOTPDevice:
    """Store the user's authenticator once ``code`` shows the app holds ``key``; it replaces any
    earlier one. Audited (never the secret); the user's tokens for scripts are revoked (each
    audited): they were issued without a code, or with the replaced authenticator's."""
    totp = TOTP(unhexlify(key))
    if not totp.verify(_code(code), tolerance=TOLERANCE):
        raise InvalidInput("code", CODE_RULE)
    had = TOTPDevice.objects.filter(user=user).exists()
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", key=key, confirmed=True,
                                       tolerance=TOLERANCE, last_t=totp.t())
    append_audit(actor=user.get_username(), action="enable_two_factor", model="user",
                 object_id=user.get_username(),
                 changes={"two_factor": {"old": "replaced" if had else None, "new": "totp"}})
    revoke_credentials(user, actor=user.get_username(), reason=ENABLED_REASON)
    return device


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | None
    wait_seconds: int = 0  # after wrong codes: how long until the next one is checked


def _checked(device: TOTPDevice, code: str) -> CodeCheck:
    """Check ``code`` on ``device`` (each code once; a wrong one doubles the wait: django-otp)."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        until = (details or {}).get("locked_until")
        wait = max(1, int(until.timestamp() - time.time()) + 1) if until else 1
        return CodeCheck(None, wait)
    return CodeCheck(device if device.verify_token("".join(code.split())) else None)


@action(None)
def do_check_sign_in_code(user: Any, code: str, *, address: str = "") -> CodeCheck:
    """Check a sign-in code against the user's authenticator; a wrong or throttled one is
    audited as ``login_code_failed`` (the count and the audit record commit together)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return CodeCheck(None)
    check = _checked(device, code)
    if check.device is None:
        append_audit(actor=user.get_username(), action="login_code_failed", model="user",
                     object_id=user.get_username(),
                     changes={"ip": {"old": None, "new": address},
                              "code": {"old": None,
                                       "new": "throttled" if check.wait_seconds else "wrong"}})
    return check


@action(None)
def do_disable_two_factor(user: Any, *, code: str) -> CodeCheck:
    """Remove the user's authenticator, given a current code; refused when a role requires
    one. A wrong code changes nothing but the throttle (returned without a device)."""
    if required_for(user):
        raise Conflict("two_factor_required",
                       "your role requires two-factor sign-in: it cannot be turned off")
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        raise Conflict("two_factor_off", "two-factor sign-in is not turned on")
    check = _checked(device, code)
    if check.device is not None:
        device.delete()
        append_audit(actor=user.get_username(), action="disable_two_factor", model="user",
                     object_id=user.get_username(),
                     changes={"two_factor": {"old": "totp", "new": None}})
    return check


@action(None)
def do_reset_two_factor(*, actor: str, username: str, reason: str) -> None:
    """Remove a user's authenticator for the server's operator (``trialdesk users
    reset-two-factor``: a lost or replaced phone), with the reason; audited. A role that requires
    a code sets up a new authenticator at its next sign-in. The user's tokens for scripts are
    revoked with it (each audited, with the reason): the lost phone's owner issued them."""
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("reason", "must say why, in at least 10 characters")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if not removed:
        raise Conflict("two_factor_off", f"{username} has no authenticator to reset")
    append_audit(actor=actor, action="reset_two_factor", model="user", object_id=username,
                 changes={"two_factor": {"old": "totp", "new": None}}, reason=reason)
    revoke_credentials(user, actor=actor, reason=RESET_REASON + reason)
