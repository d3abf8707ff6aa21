"""Participants through the API: screen, enroll (screen and consent), randomize."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api_client import ApiClient
from eligible import ELIGIBLE_VALUES

# today (UTC, as the trial's clock): a consent may not be dated before the screening (issue 17)
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
CONSENT = {"consent_date": TODAY, "form_version": "1.0"}


def screen(client: ApiClient, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Screen a patient (``ELIGIBLE_VALUES`` by default) through the API; return the response
    body."""
    response = client.post("/api/v1/participants", {"values": values or ELIGIBLE_VALUES})
    assert response.status_code == 201, response.content
    return response.json()


def enroll(client: ApiClient, values: dict[str, Any] | None = None) -> str:
    """Screen and consent an eligible patient; return the participant code."""
    code = screen(client, values)["code"]
    response = client.post(f"/api/v1/participants/{code}/consent", CONSENT)
    assert response.status_code == 201, response.content
    return code


def randomize(client: ApiClient, values: dict[str, Any] | None = None, *, days_ago: int = 0
              ) -> tuple[str, str]:
    """Screen, consent and randomize a patient; return the participant code and kit code.

    ``days_ago`` moves the randomization that many days back (test set-up only: a participant
    randomized in the past, to reach later visits)."""
    code = enroll(client, values)
    response = client.post(f"/api/v1/participants/{code}/randomize", {})
    assert response.status_code == 201, response.content
    if days_ago:
        from django.utils import timezone

        from trialdesk.web.trials.models import Randomization

        Randomization.objects.filter(participant__code=code).update(
            randomized_at=timezone.now() - dt.timedelta(days=days_ago))
    return code, response.json()["kit_code"]
