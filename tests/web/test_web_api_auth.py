"""API access: OpenAPI schema, token exchange, session auth with CSRF, deny by default."""

from __future__ import annotations

import json

from django.test import Client
from login import signed_in_client
from trial_factory import PASSWORD

from trialdesk.web.accounts.models import ApiToken


def test_openapi_schema_lists_the_operations_and_both_auth_schemes(trial):
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    paths = schema["paths"]
    assert "post" in paths["/api/v1/participants/{code}/randomize"]
    assert "get" in paths["/api/v1/kits/{kit_code}"]
    assert {"TokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_token_exchange_needs_the_right_password_and_stores_only_a_hash(trial):
    client = Client()
    wrong = client.post("/api/v1/auth/token", {"username": "monitor", "password": "nope" * 4},
                        content_type="application/json")
    assert wrong.status_code == 403
    right = client.post("/api/v1/auth/token", {"username": "monitor", "password": PASSWORD},
                        content_type="application/json")
    assert right.status_code == 201
    secret = right.json()["token"]
    assert not ApiToken.objects.filter(key_hash=secret).exists()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert (me["username"], me["role"], me["site"]) == ("monitor", "monitor", None)


def test_a_bad_token_is_401(trial):
    response = Client().get("/api/v1/me", headers={"Authorization": "Bearer tdk_forged"})
    assert response.status_code == 401


def test_session_auth_works_for_reads_and_needs_csrf_for_writes(trial):
    client = signed_in_client(trial.users["investigator-co-01"], enforce_csrf_checks=True)
    assert client.get("/api/v1/participants").status_code == 200
    response = client.post("/api/v1/participants", {"values": {}},
                           content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_a_write_with_neither_token_nor_session_is_told_to_sign_in(trial):
    """401, not the CSRF check's 403: there is no session a forged request could ride on."""
    anonymous = Client(enforce_csrf_checks=True)
    for path, body in (("/api/v1/participants", {"values": {}}),
                       ("/api/v1/participants/CO-01-001/randomize", {}),
                       ("/api/v1/signatures", {})):
        response = anonymous.post(path, body, content_type="application/json")
        assert response.status_code == 401, (path, response.content)


def test_a_user_without_a_role_can_do_nothing(trial):
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user("stranger", password=PASSWORD)
    client = signed_in_client(stranger)
    assert client.get("/").status_code == 403
    assert client.get("/api/v1/participants").status_code == 403
