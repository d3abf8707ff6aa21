"""NUL, control and bidi-override/zero-width characters, and bytes that are not UTF-8, in a URL
path, a query parameter, a form field or a JSON string: 400 (422 for JSON bodies) naming the field
and the rule, never a server error, on SQLite here and on PostgreSQL through the real server.

On PostgreSQL a NUL reached the database (``/api/v1/participants/AB%00CD``) and answered 500; on
SQLite it was looked up (404) or stored. Tab, CR and LF stay allowed: texts have several lines.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from api_client import ApiClient
from django.test import Client
from live_server import api_session, demo_users, fresh_postgres_database, running, setup_demo
from login import signed_in_client

from trialdesk.web.core.characters import (
    CONTROL_RULE,
    FORMAT_RULE,
    NUL_RULE,
    UTF8_RULE,
    refused_character_rule,
)

# (path, user who may read it, field the answer names)
URLS = [
    ("/api/v1/participants/AB%00CD", "investigator-co-01", "path"),
    ("/api/v1/kits/K%00", "pharmacist-co-01", "path"),
    ("/api/v1/queries?status=op%00en", "data_manager", "status"),
    ("/participants/AB%00CD/", "investigator-co-01", "path"),
]
# (percent-encoded character, the rule it breaks)
CHARACTERS = [
    ("%00", NUL_RULE), ("%01", CONTROL_RULE), ("%1B", CONTROL_RULE), ("%0B", CONTROL_RULE),
    ("%E2%80%AE", FORMAT_RULE),  # U+202E RIGHT-TO-LEFT OVERRIDE
    ("%E2%80%8B", FORMAT_RULE),  # U+200B ZERO WIDTH SPACE
    ("%E2%81%A6", FORMAT_RULE),  # U+2066 LEFT-TO-RIGHT ISOLATE
    ("%EF%BB%BF", FORMAT_RULE),  # U+FEFF ZERO WIDTH NO-BREAK SPACE (BOM)
]
# Django re-percent-encodes path bytes that are not UTF-8 ("%FF" stays text): only a query
# parameter (or a form field) is refused for them
NOT_UTF8 = ("%FF", UTF8_RULE)


def _api_client(user: Any) -> tuple[Client, dict[str, str]]:
    api = ApiClient(user, raise_request_exception=False)
    return api.client, api.headers


def _page_client(user: Any) -> Client:
    return signed_in_client(user, raise_request_exception=False)


def _get(trial: Any, path: str, username: str) -> Any:
    if path.startswith("/api/"):
        client, headers = _api_client(trial.users[username])
        return client.get(path, headers=headers)
    return _page_client(trial.users[username]).get(path)


def assert_refused(path: str, status: int, content_type: str, body: bytes | str, field: str,
                   rule: str) -> None:
    assert status == 400, (path, status, body)
    text = body.decode() if isinstance(body, bytes) else body
    if path.startswith("/api/"):
        assert content_type.startswith("application/json"), (path, content_type)
        assert json.loads(text) == {"error": "invalid", "detail": f"{field}: {rule}",
                                    "fields": [{"field": field, "rule": rule}]}
    else:
        assert content_type.startswith("text/plain"), (path, content_type)
        assert text.strip() == f"{field}: {rule}"


@pytest.mark.parametrize(("path", "username", "field"), URLS)
def test_nul_in_a_path_or_query_parameter_is_a_400_naming_it(trial, path, username, field):
    response = _get(trial, path, username)
    assert_refused(path, response.status_code, response["Content-Type"], response.content,
                   field, NUL_RULE)


@pytest.mark.parametrize(("character", "rule"), CHARACTERS)
@pytest.mark.parametrize(("path", "username", "field"), URLS)
def test_every_refused_character_in_every_listed_url_is_a_400(trial, path, username, field,
                                                               character, rule):
    response = _get(trial, path.replace("%00", character), username)
    assert_refused(path, response.status_code, response["Content-Type"], response.content,
                   field, rule)


def test_a_query_parameter_that_is_not_utf8_is_a_400_naming_it(trial):
    response = _get(trial, f"/api/v1/queries?status=op{NOT_UTF8[0]}en", "data_manager")
    assert_refused("/api/", response.status_code, response["Content-Type"], response.content,
                   "status", NOT_UTF8[1])


def test_a_bad_parameter_name_is_named_with_the_character_escaped(trial):
    response = _get(trial, "/api/v1/queries?st%E2%80%AEatus=open", "data_manager")
    assert response.status_code == 400
    assert response.json()["fields"] == [{"field": "st\\u202eatus", "rule": FORMAT_RULE}]


def test_tab_cr_and_lf_and_ordinary_letters_pass(trial):
    for query in ("status=op%09en", "status=%0D%0Aopen", "status=ni%C3%B1o+%E2%9C%93"):
        response = _get(trial, f"/api/v1/queries?{query}", "data_manager")
        assert response.status_code == 200, (query, response.content)
        assert response.json() == []
    assert _get(trial, "/participants/AB-%C3%B1/", "investigator-co-01").status_code == 404


def test_a_form_field_with_a_refused_character_is_a_400_naming_it(trial):
    client = _page_client(trial.users["investigator-co-01"])
    # a page that takes a POST reads the form: refused, nothing screened
    response = client.post("/screen/", {"age": "54", "note\u202e": "x"})
    assert_refused("/screen/", response.status_code, response["Content-Type"],
                   response.content, "note\\u202e", FORMAT_RULE)
    response = client.post("/screen/", {"age": "5\x014"})
    assert_refused("/screen/", response.status_code, response["Content-Type"],
                   response.content, "age", CONTROL_RULE)
    # urlencoded, with bytes that are not UTF-8
    response = client.post("/screen/", "age=5%FF4",
                           content_type="application/x-www-form-urlencoded")
    assert_refused("/screen/", response.status_code, response["Content-Type"],
                   response.content, "age", UTF8_RULE)
    # the login page too (a password is a form field like any other)
    response = Client().post("/accounts/login/", {"username": "monitor\u200b", "password": "x"})
    assert_refused("/accounts/login/", response.status_code, response["Content-Type"],
                   response.content, "username", FORMAT_RULE)
    from trialdesk.web.trials.models import Participant

    assert not Participant.objects.exists()


def test_a_route_that_takes_no_post_still_answers_405_to_a_bad_form(trial):
    client = _page_client(trial.users["monitor"])
    response = client.post("/registry/NCT04390152", {"x": "a\x00b"})
    assert response.status_code == 405


# --- JSON bodies: the API's request schemas (trialdesk.web.core.schemas.Strict) ---------------

@pytest.mark.parametrize(("text", "rule"), [
    ("a\x00b", NUL_RULE), ("a\x07b", CONTROL_RULE), ("a\x7f\x1fb", CONTROL_RULE),
    ("Smith\u202eA", FORMAT_RULE), ("a\u200db", FORMAT_RULE), ("\ufeffa", FORMAT_RULE),
    ("a\u2069", FORMAT_RULE),
])
def test_a_json_string_with_a_refused_character_is_a_422_naming_the_field(trial, text, rule):
    client, headers = _api_client(trial.users["investigator-co-01"])
    response = client.post("/api/v1/participants", json.dumps({"values": {}, "site": text}),
                           content_type="application/json", headers=headers)
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == [{"field": "site", "rule": rule}]
    # inside a dict: the field is named, the key inside it in the rule
    body = {"values": {"age": 54, "note": text}}
    response = client.post("/api/v1/participants", json.dumps(body),
                           content_type="application/json", headers=headers)
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == [{"field": "values", "rule": f"{rule} (at note)"}]
    # a key with the character
    body = {"values": {text: 1}}
    response = client.post("/api/v1/participants", json.dumps(body),
                           content_type="application/json", headers=headers)
    assert response.status_code == 422, response.content
    assert response.json()["fields"][0]["field"] == "values"
    from trialdesk.web.trials.models import Participant

    assert not Participant.objects.exists()


def test_json_strings_keep_tabs_and_line_breaks():
    for text in ("line one\nline two", "a\tb", "a\r\nb", "niño ✓ 患者", "مريض"):
        assert refused_character_rule(text) is None


# --- the same URLs on PostgreSQL, through the real server -------------------------------------

@pytest.mark.postgres
def test_no_server_error_for_refused_characters_on_postgresql(tmp_path, postgres_url):
    with fresh_postgres_database(postgres_url) as database:
        setup_demo(tmp_path, database, slots_per_stratum=4)
        users = demo_users(tmp_path)
        with running(tmp_path, database, workers=1, threads=4, task_workers=0) as server:
            sessions: dict[str, requests.Session] = {}
            for _, username, _ in URLS:
                if username not in sessions:
                    sessions[username] = api_session(server.url, users[username])
            answers = []
            for path, username, field in URLS:
                for character, rule in [*CHARACTERS, *([NOT_UTF8] if field != "path" else [])]:
                    concrete = path.replace("%00", character)
                    # pages are signed in with the token too: refused before any sign-in check
                    response = sessions[username].get(server.url + concrete, timeout=120,
                                                      allow_redirects=False)
                    answers.append((concrete, response.status_code))
                    assert_refused(path, response.status_code,
                                   response.headers["Content-Type"], response.text, field, rule)
            assert all(status == 400 for _, status in answers), answers
            session = sessions["investigator-co-01"]
            response = session.post(server.url + "/api/v1/participants", timeout=120,
                                    json={"values": {"note": "a\u202eb"}})
            assert response.status_code == 422, response.text
        log = (tmp_path / "server.log").read_text()
        assert "Internal Server Error" not in log and "Traceback" not in log, log
