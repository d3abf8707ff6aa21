"""Helpers of the trial server tests: screening values, an API client, enrollment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PASSWORD = "correct horse battery staple"

ELIGIBLE_VALUES: dict[str, Any] = {
    "age": 54, "sars_cov2_pcr": "positive", "onset_within_week": True,
    "bilateral_opacities": True, "cardiac_failure_explains": False, "pregnant": False,
    "active_malignancy": False, "expected_death_24h": False, "other_interventional_trial": False,
    "pao2": 70, "fio2": 0.8, "peep": 10,
}


@dataclass
class Trial:
    """The loaded trial: users by name, and an API client per user."""

    users: dict[str, Any]

    def api(self, username: str) -> ApiClient:
        from trialdesk.web.accounts.models import ApiToken

        _, secret = ApiToken.issue(self.users[username])
        return ApiClient(secret)


class ApiClient:
    """A JSON client with a bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = body if isinstance(body, str) else json.dumps(body if body is not None else {})
        return self.client.post(path, data=data, content_type="application/json",
                                headers={**self.headers, **(headers or {})})


def screen(client: ApiClient, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Screen a patient through the API; return the response body."""
    response = client.post("/api/v1/participants", {"values": values or ELIGIBLE_VALUES})
    assert response.status_code == 201, response.content
    return response.json()


def enroll(client: ApiClient, values: dict[str, Any] | None = None) -> str:
    """Screen and consent an eligible patient; return the participant code."""
    code = screen(client, values)["code"]
    response = client.post(f"/api/v1/participants/{code}/consent",
                           {"consent_date": "2026-01-05", "form_version": "1.0"})
    assert response.status_code == 201, response.content
    return code
