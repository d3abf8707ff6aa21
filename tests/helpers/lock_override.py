"""Locking through the API when the lock checklist may refuse: the two-person override.

``lock(requester, confirmer, body)`` posts the lock; when the checklist refuses it (409 with the
outstanding items), the data manager requests an override and the principal investigator confirms
it, both with ``trial_factory.PASSWORD``. For tests whose subject is not the checklist but a
locked trial (the final unblinding, writes refused after lock...).
"""

from __future__ import annotations

from typing import Any

from api_client import ApiClient
from trial_factory import PASSWORD

REASON = "Locked for the test despite outstanding items (not its subject)."


def lock(requester: ApiClient, confirmer: ApiClient, body: dict[str, Any]) -> Any:
    """Lock ``body``'s scope, with an override if needed; return the 201 answer of the lock."""
    answer = requester.post("/api/v1/locks", body)
    if answer.status_code != 409 or answer.json().get("error") != "checklist_outstanding":
        return answer
    request = {key: value for key, value in body.items() if key != "reason"}
    override = requester.ok("POST", "/api/v1/locks/overrides",
                            {**request, "reason": REASON,
                             "password": PASSWORD})
    return confirmer.post(f"/api/v1/locks/overrides/{override['id']}/confirm",
                          {"password": PASSWORD})


def lock_database(users: dict[str, Any]) -> Any:
    """Lock the database as the demo users ``data_manager`` and ``principal_investigator``."""
    return lock(ApiClient(users["data_manager"]), ApiClient(users["principal_investigator"]),
                {"scope": "database"})
