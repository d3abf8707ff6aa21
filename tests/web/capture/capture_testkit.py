"""Helpers of the data-capture tests: API and page clients, randomized participants."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone

PASSWORD = "capture tests pass phrase"

ELIGIBLE_VALUES: dict[str, Any] = {
    "age": 54, "sars_cov2_pcr": "positive", "onset_within_week": True,
    "bilateral_opacities": True, "cardiac_failure_explains": False, "pregnant": False,
    "active_malignancy": False, "expected_death_24h": False, "other_interventional_trial": False,
    "pao2": 70, "fio2": 0.8, "peep": 10,
}

RESPIRATORY_OK = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


class Api:
    """A JSON client signed in with an API token."""

    def __init__(self, user: Any) -> None:
        from trialdesk.web.accounts.models import ApiToken

        _, secret = ApiToken.issue(user)
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, data=json.dumps(body or {}),
                                content_type="application/json", headers=self.headers)

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(path, data=json.dumps(body), content_type="application/json",
                               headers=self.headers)


def form_path(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}"


def page_path(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    return f"/capture/participants/{code}/{visit}/{form}/"


def login(username: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def randomize(investigator: Api, *, days_ago: int = 0) -> str:
    """Screen, consent and randomize a patient; move the randomization ``days_ago`` days back."""
    from trialdesk.web.trials.models import Randomization

    response = investigator.post("/api/v1/participants", {"values": ELIGIBLE_VALUES})
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    response = investigator.post(f"/api/v1/participants/{code}/consent",
                                 {"consent_date": "2026-01-05", "form_version": "1.0"})
    assert response.status_code == 201, response.content
    response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 201, response.content
    if days_ago:
        # Test set-up only: a participant randomized in the past, to reach later visits.
        Randomization.objects.filter(participant__code=code).update(
            randomized_at=timezone.now() - dt.timedelta(days=days_ago))
    return code


def stored(code: str, visit: str = "day0", form: str = "respiratory") -> tuple[Any, Any]:
    """Return (values, version) of a stored form, or (None, None)."""
    from trialdesk.web.capture.models import FormInstance

    row = FormInstance.objects.filter(participant__code=code, visit=visit, form=form).values(
        "values", "version").first()
    return (row["values"], row["version"]) if row else (None, None)
