"""Helpers of the security tests: randomized participants whose arms are known to the test."""

from __future__ import annotations

from typing import Any

from django.test import Client
from trial_fixtures import PASSWORD, ApiClient, enroll

from trialdesk.web.accounts import actions as account_actions
from trialdesk.web.trials.models import AllocationSlot


def randomize_both_arms(trial: Any, site: str = "co-01", count: int = 4) -> list[dict[str, str]]:
    """Randomize ``count`` participants of one stratum at ``site``; return code, kit and arm each.

    Blocks have 2 or 4 slots, so any 4 consecutive participants of a stratum cover both arms.
    """
    investigator = trial.api(f"investigator-{site}")
    rows = []
    for _ in range(count):
        code = enroll(investigator)
        response = investigator.post(f"/api/v1/participants/{code}/randomize", {})
        assert response.status_code == 201, response.content
        kit = response.json()["kit_code"]
        rows.append({"code": code, "kit": kit,
                     "arm": AllocationSlot.objects.get(kit_code=kit).arm})
    assert len({row["arm"] for row in rows}) == 2, rows
    return rows


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def second_investigator(trial: Any, site: str = "CO-01") -> ApiClient:
    """Add another investigator at ``site`` (``investigator2-co-01``); return its API client."""

    username = f"investigator2-{site.lower()}"
    account_actions.do_create_user(actor="test", username=username, role="investigator", site=site,
                           password=PASSWORD)
    from django.contrib.auth import get_user_model

    trial.users[username] = get_user_model().objects.get(username=username)
    return trial.api(username)
