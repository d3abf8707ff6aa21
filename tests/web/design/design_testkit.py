"""Signed-in clients for the design page tests: one user per role that matters here."""

from __future__ import annotations

from django.test import Client

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_users(roles: dict[str, str | None]) -> dict[str, object]:
    """Create ``{username: site}`` users whose username is their role; return them by name."""
    from django.contrib.auth import get_user_model

    from trialdesk.web.accounts import actions as account_actions
    from trialdesk.web.trials import actions

    actions.do_load_sites(actor="test")
    for role, site in roles.items():
        account_actions.do_create_user(actor="test", username=role, role=role, site=site,
                               password="a long enough test password")
    return {user.username: user for user in get_user_model().objects.all()}


def client_for(user: object, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def make_trial_wide_users_without_audit(roles: list[str]) -> dict[str, object]:
    """Users with a trial-wide role, written straight to the tables.

    For tests on a transactional database (a background thread must see committed rows): the
    flush between such tests cannot empty the append-only audit trail, so nothing may write one.
    """
    from django.contrib.auth import get_user_model

    from trialdesk.web.core.models import Membership

    users = {}
    for role in roles:
        user = get_user_model().objects.create_user(username=role)
        Membership.objects.create(user=user, role=role)
        users[role] = user
    return users


def client_without_login_signal(user: object) -> Client:
    """A signed-in client whose session is written directly: signing in through Django's login()
    appends to the audit trail, which a transactional test cannot flush afterwards."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client
