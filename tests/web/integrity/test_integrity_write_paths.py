"""Every write operation of the API: one transaction, a complete audit record, nothing half-stored.

The operations come from the OpenAPI schema, so a new write route fails here until it has a
builder in ``integrity_kit.BUILDERS`` (and so is covered by these checks).
"""

from __future__ import annotations

import datetime as dt

import pytest
from integrity_kit import BUILDERS, dump_database, write_operations

from trialdesk.web.core import audit
from trialdesk.web.core.models import AuditRecord

OPERATIONS = write_operations()


def test_every_write_operation_of_the_schema_has_a_builder():
    assert OPERATIONS, "the OpenAPI schema lists no write operation"
    missing = [op for op in OPERATIONS if op not in BUILDERS]
    assert missing == [], f"write operations without a builder: {missing}"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_write_leaves_a_complete_audit_record(scenarios, method, path):
    request = scenarios.build(method, path)
    before_seq = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    started = dt.datetime.now(dt.UTC)
    response = scenarios.api(request.username).send(request.method, request.path, request.body)
    assert response.status_code < 300, response.content
    records = list(AuditRecord.objects.filter(seq__gt=before_seq).order_by("seq"))
    assert [r.action for r in records] == list(request.actions)
    for record in records:
        assert record.actor == request.actor
        assert record.at.utcoffset() == dt.timedelta(0)
        assert started - dt.timedelta(seconds=1) <= record.at <= dt.datetime.now(dt.UTC)
        assert record.model and record.object_id
        assert record.changes, f"{record.action} names no changed field"
        for name, change in record.changes.items():
            assert set(change) == {"old", "new"}, (record.action, name, change)
        # a field may be named for context (which form a voided signature was on); one must change
        assert any(c["old"] != c["new"] for c in record.changes.values()), record.changes
        if request.reason:
            assert record.reason == request.reason
    if "reasons" in request.extra:
        assert tuple(r.reason for r in records) == request.extra["reasons"]
    if "changes" in request.extra:
        changed = {name: change for record in records for name, change in record.changes.items()}
        assert request.extra["changes"].items() <= changed.items()


class _Boom(RuntimeError):
    pass


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("failing", ["first", "last"])
def test_write_that_fails_halfway_stores_nothing(scenarios, monkeypatch, method, path, failing):
    """Force an error after the first (or last) audit record is written: nothing may remain."""
    request = scenarios.build(method, path)
    if not request.actions:
        # a POST that only evaluates: it must store nothing, with or without a fault
        client = scenarios.api(request.username)
        before = dump_database()
        assert client.send(request.method, request.path, request.body).status_code == 200
        assert dump_database() == before
        return
    fail_at = 1 if failing == "first" else len(request.actions)
    original = audit.AuditAnchor.objects.create
    calls = []

    def create(**fields):
        calls.append(fields)
        anchor = original(**fields)
        if len(calls) == fail_at:
            raise _Boom("the disk filled up after the audit record")
        return anchor

    client = scenarios.api(request.username)
    before = dump_database()
    monkeypatch.setattr(audit.AuditAnchor.objects, "create", create)
    response = client.send(request.method, request.path, request.body)
    monkeypatch.undo()
    assert response.status_code == 500
    assert len(calls) == fail_at
    assert dump_database() == before
