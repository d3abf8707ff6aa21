"""The pages' 400, 403, 404 and 500 answers (issue 19): in the site's layout and the user's
language, saying what happened in plain words, with a way back; the API's JSON error shape is
unchanged under /api/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation
from enrollment import enroll
from login import signed_in_client

from trialdesk.web.error_pages import permission_denied as permission_denied_view

ERROR_KEYS = {"error", "detail"}


def _text(response) -> str:
    return response.content.decode()


def _page(response, status: int, language: str = "en") -> str:
    """The body of an HTML error page in ``language``, in the site's layout."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = _text(response)
    assert f'<html lang="{language}">' in body
    assert 'rel="icon"' in body and "/static/favicon.svg" in body
    assert "Traceback" not in body and "Exception" not in body
    return body


def _api_error(response, status: int, error: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) - {"fields"} == ERROR_KEYS and body["error"] == error


def _fail(*args, **kwargs):
    raise RuntimeError("secret-internal-detail-4711")


# -- 404 ----------------------------------------------------------------------------------------


def test_404_for_a_visitor_offers_the_sign_in_and_the_registry(trial):
    body = _page(Client().get("/no-such-page/"), 404)
    assert "<h1>Page not found</h1>" in body
    assert 'href="/accounts/login/"' in body and 'href="/registry"' in body
    assert "Back to the dashboard" not in body


def test_404_for_a_signed_in_user_leads_back_to_the_dashboard(trial):
    client = signed_in_client(trial.users["coordinator-co-01"])
    body = _page(client.get("/no-such-page/"), 404)
    assert "<h1>Page not found</h1>" in body
    assert re.search(r'<a href="/">Back to the dashboard</a>', body)
    assert "coordinator-co-01" in body  # the site's header, signed in
    assert 'href="/accounts/login/"' not in body


def test_404_in_spanish(trial):
    visitor = _page(Client(headers={"Accept-Language": "es"}).get("/no-such-page/"), 404, "es")
    assert "Página no encontrada" in visitor and "Iniciar sesión" in visitor
    assert "Registro público de ensayos" in visitor
    client = signed_in_client(trial.users["coordinator-co-01"], language="es")
    body = _page(client.get("/no-such-page/"), 404, "es")
    assert "Página no encontrada" in body and "Volver al panel" in body
    assert "Page not found" not in body


def test_a_record_of_another_site_is_not_found_exactly_as_one_that_does_not_exist(trial):
    """The page says nothing of what was asked for: no one learns whether a code exists."""
    code = enroll(trial.api("investigator-co-02"))
    client = signed_in_client(trial.users["coordinator-co-01"])
    hidden = client.get(f"/participants/{code}/")
    absent = client.get("/participants/CO-01-9999/")
    assert hidden.status_code == absent.status_code == 404

    def without_token(response) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", _text(response))

    assert without_token(hidden) == without_token(absent)
    # not even the address typed: a blinded role's page must not show another site's code
    assert code not in _text(hidden) and "CO-01-9999" not in _text(absent)


def test_404_under_the_api_keeps_the_json_shape(trial):
    _api_error(trial.api("coordinator-co-01").get("/api/v1/no-such-operation"), 404, "not_found")


# -- 403 ----------------------------------------------------------------------------------------


def test_403_for_a_signed_in_user_names_no_permission_code(trial):
    client = signed_in_client(trial.users["coordinator-co-01"])
    body = _page(client.get("/pharmacy/"), 403)
    assert "<h1>Not allowed</h1>" in body
    assert "You are signed in as coordinator-co-01" in body
    assert re.search(r'<a href="/">Back to the dashboard</a>', body)
    # the refusal's own text ("the role coordinator may not view kit arm") is for the log
    assert "view kit arm" not in body and "view_kit_arm" not in body and "may not" not in body


def test_403_in_spanish(trial):
    client = signed_in_client(trial.users["coordinator-co-01"], language="es")
    body = _page(client.get("/pharmacy/"), 403, "es")
    assert "No permitido" in body and "Ha iniciado sesión como coordinator-co-01" in body
    assert "Volver al panel" in body and "Not allowed" not in body


@pytest.mark.parametrize("language", ["en", "es"])
def test_403_for_a_visitor_asks_to_sign_in(trial, rf, language):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    request = rf.get("/screen/")
    request.user = AnonymousUser()
    with translation.override(language):
        response = permission_denied_view(request, PermissionDenied("the role - may not screen"))
    body = _page(response, 403, language)
    assert 'href="/accounts/login/"' in body and 'href="/registry"' in body
    assert ("Sign in to continue" if language == "en" else "Inicie sesión para continuar") in body
    assert "may not screen" not in body


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_form_without_its_security_token_is_refused_in_plain_words(trial, language):
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": language})
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    body = _page(response, 403, language)
    expired = {"en": "This form has expired", "es": "Este formulario ha caducado"}[language]
    assert expired in body and 'href="/"' in body and 'href="/registry"' in body
    assert "CSRF" not in body


def test_403_under_the_api_keeps_the_json_shape(trial):
    _api_error(trial.api("coordinator-co-01").get("/api/v1/kits"), 403, "forbidden")


# -- 400 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_400_is_a_page_in_the_layout(trial, signed_in):
    client = (signed_in_client(trial.users["monitor"]) if signed_in else Client())
    # a Host the server does not serve: Django refuses it (SuspiciousOperation) before any view
    body = _page(client.get("/", headers={"Host": "elsewhere.example"}), 400)
    assert "<h1>Request not understood</h1>" in body
    assert "elsewhere.example" not in body and "DisallowedHost" not in body
    assert 'href="/registry"' in body or 'href="/"' in body


def test_400_in_spanish(trial):
    client = Client(headers={"Accept-Language": "es"})
    body = _page(client.get("/", headers={"Host": "elsewhere.example"}), 400, "es")
    assert "Solicitud no comprendida" in body and "Iniciar sesión" in body


def test_400_under_the_api_keeps_the_json_shape(trial):
    response = Client().get("/api/v1/me", headers={"Host": "elsewhere.example"})
    _api_error(response, 400, "invalid")


# -- 500 ----------------------------------------------------------------------------------------


def _patterns(patterns: list) -> Iterator[URLPattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns)
        else:
            yield entry


@contextmanager
def _failing(path: str) -> Iterator[None]:
    """The view that answers ``path`` raises an unexpected error while the block runs."""
    resolver = get_resolver()
    original = resolver.resolve(path).func
    found = [pattern for pattern in _patterns(resolver.url_patterns)
             if pattern.callback is original]
    assert found
    for pattern in found:
        pattern.callback = _fail
    try:
        yield
    finally:
        for pattern in found:
            pattern.callback = original


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_500_is_a_page_that_tells_nothing_of_the_failure(trial, language, signed_in):
    options = {"raise_request_exception": False}
    client = (signed_in_client(trial.users["monitor"], language=language, **options)
              if signed_in else Client(headers={"Accept-Language": language}, **options))
    with _failing("/registry"):  # public: the same view fails for both
        response = client.get("/registry")
    body = _page(response, 500, language)
    heading = {"en": "Something went wrong on the server",
               "es": "Algo falló en el servidor"}[language]
    assert heading in body
    assert "secret-internal-detail-4711" not in body and "RuntimeError" not in body
    assert 'href="/"' in body and 'href="/registry"' in body
    assert "monitor" not in body  # rendered with no context: no user, no session


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_500_page_renders_without_a_database_or_a_request(language):
    """No ``db`` fixture: any query here fails the test (the failure may be the database's)."""
    with translation.override(language):
        body = render_to_string("500.html")
    assert f'<html lang="{language}">' in body
    assert {"en": "Server error", "es": "Error del servidor"}[language] in body
    assert "/static/favicon.svg" in body and 'href="/registry"' in body


def test_500_under_the_api_keeps_the_json_shape(trial):
    client = signed_in_client(trial.users["monitor"], raise_request_exception=False)
    with _failing("/api/v1/me"):
        response = client.get("/api/v1/me")
    _api_error(response, 500, "server_error")
    assert "secret-internal-detail-4711" not in _text(response)


# -- 405 ----------------------------------------------------------------------------------------


def test_405_an_action_opened_as_a_page_says_so_with_a_way_back(trial):
    """An address that only a form's POST reaches (here signing out), opened from a link: a
    page in the layout and the user's language, with the Allow header, not an empty answer."""
    client = signed_in_client(trial.users["coordinator-co-01"], language="es")
    response = client.get("/accounts/logout/")
    body = _page(response, 405, "es")
    assert "POST" in response["Allow"]
    assert "<h1>No es una página para abrir</h1>" in body and "Volver al panel" in body
    english = _page(Client().get("/accounts/logout/"), 405)
    assert "<h1>Not a page to open</h1>" in english and 'href="/accounts/login/"' in english


def test_405_under_the_api_is_left_as_it_was(trial):
    client = signed_in_client(trial.users["monitor"])
    response = client.delete("/api/v1/protocol")
    assert response.status_code == 405
    assert not response["Content-Type"].startswith("text/html")
