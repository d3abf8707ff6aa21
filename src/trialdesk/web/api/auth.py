"""API authentication: a bearer token for scripts, the session (with CSRF) for pages."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from trialdesk.web.accounts import two_factor
from trialdesk.web.accounts.models import ApiToken, hash_token
from trialdesk.web.core import sql
from trialdesk.web.core.actor import act_as
from trialdesk.web.core.models import Membership, Site


class TwoFactorRequired(AuthenticationError):
    """A token issued without a sign-in code, of an account that must now give one: answered
    401 ``two_factor_required`` saying how to get a token that works (``api.errors``)."""

    detail = two_factor.CODELESS_REFUSAL


class TokenAuth(HttpBearer):
    def authenticate(self, request: Any, token: str) -> Any:
        user = token_user(hash_token(token))
        if user is None or not user.is_active:
            return None
        request.user = user
        return user


def token_user(key_hash: str) -> Any:
    """The user of the token whose hash is ``key_hash``, acting as the token's membership (with
    its site: ``actor_for`` uses them); None: no such token, its membership is deactivated, or
    its account. TwoFactorRequired: issued without a code to an account that must now give one.
    One statement, in plain SQL (``core.sql``), since every API request asks it (the
    authenticator's existence included)."""
    row = sql.fetch_one(_token_sql(), (True, key_hash))
    if row is None:
        return None
    token, user, membership, site = sql.instances(row[:-1], ApiToken, get_user_model(),
                                                  Membership, Site)
    if membership is not None:
        if not membership.active:
            return None
        membership._state.fields_cache["site"] = site
        membership._state.fields_cache["user"] = user
    if not user.is_active:
        return None
    if two_factor.token_refused(user, membership, verified=token.two_factor,
                                has_device=bool(row[-1])):
        raise TwoFactorRequired
    act_as(user, membership)  # None: a token of a user who held no role
    return user


@cache
def _token_sql() -> str:
    user_model = get_user_model()
    token, membership = ApiToken, Membership
    device = TOTPDevice
    has_device = (f"EXISTS (SELECT 1 FROM {sql.table(device)} d "  # noqa: S608
                  f"WHERE d.{sql.column(device, 'user')} = u.{sql.column(user_model, 'id')} "
                  f"AND d.{sql.column(device, 'confirmed')} = %s)")
    return (
        f"SELECT {sql.columns(token, 't')}, {sql.columns(user_model, 'u')}, "  # noqa: S608
        f"{sql.columns(membership, 'm')}, {sql.columns(Site, 's')}, {has_device} "
        f"FROM {sql.table(token)} t "
        f"JOIN {sql.table(user_model)} u ON u.{sql.column(user_model, 'id')} = "
        f"t.{sql.column(token, 'user')} "
        f"LEFT JOIN {sql.table(membership)} m ON m.{sql.column(membership, 'id')} = "
        f"t.{sql.column(token, 'membership')} "
        f"LEFT JOIN {sql.table(Site)} s ON s.{sql.column(Site, 'id')} = "
        f"m.{sql.column(membership, 'site')} "
        f"WHERE t.{sql.column(token, 'key_hash')} = %s"
    )


class SessionAuth(NinjaSessionAuth):
    """The browser's session, its CSRF token checked once someone is signed in: a request with
    neither a token nor a session is answered 401 (sign in), not 403 (CSRF), since there is no
    one whose session a forged request could use."""

    def __call__(self, request: Any) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


AUTH = [TokenAuth(), SessionAuth()]
