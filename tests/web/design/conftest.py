"""Fixtures of the design tests: a transactional database that can be emptied of audit records.

Starting a simulation is audited, and a job runs in a thread that must see committed rows, so the
simulation tests use a transactional database; the flush that ends such a test cannot delete the
append-only audit trail (its triggers refuse). This test database is thrown away, so the audit
tables are emptied here first, their triggers lifted for that moment only and put back as they
were: the next test starts from an empty chain, as after any flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _empty_audit_trail() -> None:
    from django.db import connection

    from trialdesk.web.core.models import AuditAnchor, AuditRecord

    models = (AuditAnchor, AuditRecord)
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                           "tbl_name IN (%s, %s)", tables)
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
            for model in models:
                model.objects.all().delete()
            for _, sql in triggers:
                cursor.execute(sql)
        else:  # PostgreSQL: the triggers stay, disabled for these statements only
            for table in map(connection.ops.quote_name, tables):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            for model in models:
                model.objects.all().delete()
            for table in map(connection.ops.quote_name, tables):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def transactional_db(transactional_db: Any) -> Iterator[Any]:
    """pytest-django's ``transactional_db``, with the test's audit records removed before its
    flush."""
    yield transactional_db
    _empty_audit_trail()
