"""Faults injected into a write, to show it is all or nothing."""

from __future__ import annotations

from typing import Any

import pytest


def fail_audit_anchor_at(monkeypatch: pytest.MonkeyPatch, nth: int) -> list[dict[str, Any]]:
    """Make the ``nth`` audit anchor written from now on raise (a full disk, say). Return the list
    of anchors asked for, the failing one included, for the test to count."""
    from trialdesk.web.core import audit

    original, calls = audit.AuditAnchor.objects.create, []

    def create(**fields: Any) -> Any:
        calls.append(fields)
        if len(calls) == nth:
            raise RuntimeError("the disk is full")
        return original(**fields)

    monkeypatch.setattr(audit.AuditAnchor.objects, "create", create)
    return calls
