"""Every error on /api/ is documented in the OpenAPI schema and answered in one JSON shape.

Issue 12, finding 7: the schema listed only success codes (57-62 "undocumented status" findings per
role under schemathesis), and an oversized body or any 500 answered in HTML.
"""

from __future__ import annotations

import json
import logging

import pytest
from api_client import ApiClient
from django.test import Client
from eligible import ELIGIBLE_VALUES

from trialdesk.web.trials.models import Participant

ERROR_REF = {"$ref": "#/components/schemas/Error"}
EVERY_OPERATION = (400, 403, 404, 409, 422, 429, 500)


def _schema() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _is_error_shape(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("error"), str) and isinstance(body.get("detail"), str), body
    if error is not None:
        assert body["error"] == error, body
    return body


def test_the_schema_describes_the_error_shape_the_api_sends():
    schemas = _schema()["components"]["schemas"]
    error = schemas["Error"]
    assert error["required"] == ["error", "detail"]
    assert set(error["properties"]) == {"error", "detail", "fields"}
    assert error["properties"]["fields"]["items"] == {"$ref": "#/components/schemas/ErrorField"}
    assert schemas["ErrorField"]["required"] == ["field", "rule"]


def test_every_operation_documents_every_error_status_with_the_error_shape():
    missing = []
    for name, operation in _operations(_schema()):
        expected = list(EVERY_OPERATION)
        if operation.get("security"):
            expected.append(401)  # not signed in
        if "requestBody" in operation:
            expected.append(413)  # a body too large
        for status in expected:
            documented = operation["responses"].get(str(status))
            if documented is None or documented["content"]["application/json"][
                    "schema"] != ERROR_REF:
                missing.append(f"{name} {status}")
    assert missing == []


def test_success_answers_stay_documented_as_they_were():
    schema = _schema()
    screen = schema["paths"]["/api/v1/participants"]["post"]["responses"]
    assert {"200", "201"} <= set(screen)
    token = schema["paths"]["/api/v1/auth/token"]["post"]
    assert "201" in token["responses"] and "401" not in token["responses"]  # no sign-in asked


def test_an_unexpected_exception_is_a_json_500_that_leaks_nothing_and_is_logged(
        trial, monkeypatch, caplog):
    from trialdesk.web.api import router

    def fail(*args, **kwargs):
        raise RuntimeError("secret-internal-detail-4711")

    monkeypatch.setattr(router.presenters, "eligibility_view", fail)
    client = ApiClient(trial.users["investigator-co-01"], raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post("/api/v1/eligibility", {"values": ELIGIBLE_VALUES})
    body = _is_error_shape(response, 500, "server_error")
    assert "secret-internal-detail" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode() and "fields" not in body
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and "secret-internal-detail-4711" in str(logged[0].exc_info[1])


def test_a_failure_outside_any_operation_is_a_json_500_on_the_api_only(trial, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware

    def fail(self, request):
        raise RuntimeError("secret-middleware-detail")

    monkeypatch.setattr(SessionMiddleware, "process_request", fail)
    client = ApiClient(trial.users["investigator-co-01"], raise_request_exception=False)
    response = client.get("/api/v1/me")
    _is_error_shape(response, 500, "server_error")
    assert "secret-middleware-detail" not in response.content.decode()
    page = Client(raise_request_exception=False).get("/accounts/login/")
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")


def test_a_json_body_larger_than_the_limit_is_a_json_413_and_stores_nothing(trial, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = trial.api("investigator-co-01")
    big = {"values": {**ELIGIBLE_VALUES}, "site": "x" * 5000}
    _is_error_shape(client.post("/api/v1/participants", big), 413, "too_large")
    assert not Participant.objects.exists()
    # a body within the limit still goes through
    assert client.post("/api/v1/participants", {"values": ELIGIBLE_VALUES}).status_code == 201


def test_a_form_encoded_body_larger_than_the_limit_is_a_json_413(trial, settings):
    # read before any operation runs (the character check of posted forms): Django's own handler
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = trial.api("investigator-co-01")
    response = client.client.post("/api/v1/participants", data="a=" + "x" * 5000,
                                  content_type="application/x-www-form-urlencoded",
                                  headers=client.headers)
    _is_error_shape(response, 413, "too_large")


def test_unparseable_json_stays_a_json_400_naming_the_body(trial):
    response = trial.api("investigator-co-01").post("/api/v1/participants", "{not json")
    body = _is_error_shape(response, 400, "invalid")
    assert body["fields"] == [{"field": "body", "rule": "must be valid JSON"}]


@pytest.mark.parametrize("path", ["/api/v1/no-such-operation", "/api/v1/participants/X/nothing",
                                  "/api/v2/participants", "/api/"])
def test_an_api_url_that_no_operation_matches_is_a_json_404(trial, path):
    _is_error_shape(trial.api("investigator-co-01").get(path), 404, "not_found")


def test_a_page_url_that_matches_nothing_is_still_an_html_404(trial):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_method_the_url_does_not_take_is_a_json_405_with_allow(trial):
    response = trial.api("investigator-co-01").send("DELETE", "/api/v1/participants")
    _is_error_shape(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_an_unauthenticated_request_is_a_json_401(trial):
    response = ApiClient().post("/api/v1/participants", {"values": ELIGIBLE_VALUES})
    _is_error_shape(response, 401, "unauthenticated")
