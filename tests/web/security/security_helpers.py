"""Helpers of the security tests: randomized participants whose arms are known to the test."""

from __future__ import annotations

from typing import Any

from api_client import ApiClient
from enrollment import randomize
from trial_factory import create_user

from trialdesk.web.trials.models import AllocationSlot


def randomize_both_arms(trial: Any, site: str = "co-01", count: int = 4) -> list[dict[str, str]]:
    """Randomize ``count`` participants of one stratum at ``site``; return code, kit and arm each.

    Blocks have 2 or 4 slots, so any 4 consecutive participants of a stratum cover both arms.
    """
    investigator = trial.api(f"investigator-{site}")
    rows = []
    for _ in range(count):
        code, kit = randomize(investigator)
        rows.append({"code": code, "kit": kit,
                     "arm": AllocationSlot.objects.get(kit_code=kit).arm})
    assert len({row["arm"] for row in rows}) == 2, rows
    return rows


def second_investigator(trial: Any, site: str = "CO-01") -> ApiClient:
    """Add another investigator at ``site`` (``investigator2-co-01``); return its API client."""
    username = f"investigator2-{site.lower()}"
    trial.users[username] = create_user(username, "investigator", site)
    return trial.api(username)
