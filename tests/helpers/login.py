"""Signed-in clients: Django's test client (with or without the login page) and a real browser.

- ``signed_in_client(user)``: a session made by ``force_login`` (no password, no login page).
- ``login_page_client(username)``: through the login page, as a person signs in.
- ``signed_in_client_without_login_signal(user)``: a session written directly, for transactional
  tests (signing in appends to the audit trail, which such a test cannot flush afterwards).
- ``sign_in_browser(page, base_url, user)``: a Playwright page through the login form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.test import Client
from trial_factory import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
LOGIN_PATH = "/accounts/login/"


def _client(language: str | None, **options: Any) -> Client:
    """A test client; ``language`` is sent as its ``Accept-Language`` (none: the default)."""
    return Client(headers={"Accept-Language": language} if language else {}, **options)


def signed_in_client(user: Any, language: str | None = None, **options: Any) -> Client:
    """A test client signed in as ``user``; ``options`` go to ``Client`` (e.g.
    ``enforce_csrf_checks=True``, ``raise_request_exception=False``)."""
    client = _client(language, **options)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def login_page_client(username: str, *, password: str = PASSWORD,
                      language: str | None = None) -> Client:
    """A test client signed in through the login page (with the trial's ``PASSWORD`` unless
    told); fails unless the page redirects (302), as it does on success."""
    client = _client(language)
    response = client.post(LOGIN_PATH, {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return client


def signed_in_client_without_login_signal(user: Any) -> Client:
    """A test client whose session is written directly: signing in through Django's login()
    appends to the audit trail, which a transactional test cannot flush afterwards."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = MODEL_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def sign_in_browser(page: Page, base_url: str, user: dict[str, Any]) -> None:
    """Sign ``user`` (``{"username", "password"}``, as in ``demo-users.json``) in through the
    login form of the server at ``base_url``; return once the browser has left the login page."""
    page.goto(base_url + LOGIN_PATH)
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("button[type=submit] >> nth=-1")  # the form's own button: the last on the page
    page.wait_for_url(lambda url: LOGIN_PATH not in url)
