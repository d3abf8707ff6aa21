"""Faults injected into a write, to show it is all or nothing."""

from __future__ import annotations

from typing import Any

import pytest


def fail_audit_anchor_at(monkeypatch: pytest.MonkeyPatch, nth: int) -> list[dict[str, Any]]:
    """Make the ``nth`` audit anchor written from now on raise (a full disk, say). Return the list
    of anchors asked for, the failing one included, for the test to count."""
    from trialdesk.web.core import audit

    manager = audit.AuditAnchor.objects
    original, original_many, calls = manager.create, manager.create_many, []

    def create(**fields: Any) -> Any:
        calls.append(fields)
        if len(calls) == nth:
            raise RuntimeError("the disk is full")
        return original(**fields)

    def create_many(rows: list[dict[str, Any]]) -> None:  # records appended together
        for fields in rows:
            calls.append(fields)
            if len(calls) == nth:
                raise RuntimeError("the disk is full")
        original_many(rows)

    monkeypatch.setattr(manager, "create", create)
    monkeypatch.setattr(manager, "create_many", create_many)
    return calls


class FaultAfterAuditRecord(RuntimeError):
    """Raised just after an audit record is written (the disk filled up then, say)."""


def fail_after_the_audit_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every audit anchor written from now on raise once stored: the action's transaction
    must roll back, its audit record with it."""
    from trialdesk.web.core import audit

    manager = audit.AuditAnchor.objects
    original, original_many = manager.create, manager.create_many

    def create(**fields: Any) -> Any:
        original(**fields)
        raise FaultAfterAuditRecord("after the audit record")

    def create_many(rows: list[dict[str, Any]]) -> None:
        original_many(rows)
        raise FaultAfterAuditRecord("after the audit records")

    monkeypatch.setattr(manager, "create", create)
    monkeypatch.setattr(manager, "create_many", create_many)
