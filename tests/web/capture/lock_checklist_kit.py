"""Helpers of the lock checklist tests: the checklist through the API, its items by check, and
a registry kept to the checks under test (other apps' checks have tests of their own)."""

from __future__ import annotations

from typing import Any

import pytest

from trialdesk.web.core import lock_checklist

CHECKLIST = "/api/v1/locks/checklist"
CAPTURE_AND_SAFETY = ("open_queries", "missing_forms", "incomplete_forms", "unsigned_forms",
                      "unresolved_saes", "uncoded_terms")


def items(snapshot: dict[str, Any], check: str) -> list[str]:
    """The subjects of one check's items."""
    [found] = [c for c in snapshot["checks"] if c["code"] == check]
    assert found["count"] == len(found["items"])
    return [item["subject"] for item in found["items"]]


def details(snapshot: dict[str, Any], check: str) -> dict[str, str]:
    [found] = [c for c in snapshot["checks"] if c["code"] == check]
    return {item["subject"]: item["detail"] for item in found["items"]}


def checklist(client: Any, **scope: Any) -> dict[str, Any]:
    response = client.get(CHECKLIST, **scope)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def capture_and_safety_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only this part's checks in the registry, so that a clean scope is clean of them alone."""
    kept = {code: check for code, check in lock_checklist._CHECKS.items()
            if code in CAPTURE_AND_SAFETY}
    assert set(kept) == set(CAPTURE_AND_SAFETY)
    monkeypatch.setattr(lock_checklist, "_CHECKS", kept)
