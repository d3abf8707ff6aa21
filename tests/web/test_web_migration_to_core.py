"""Moving sites, memberships and the audit trail into the ``core`` app changes no stored row, and
the database lock in force before the upgrade is still in force after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", None), ("capture", "0001_initial"), ("trials", "0007_audit_actor_index")]
AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_upgrading_an_existing_database_keeps_rows_and_the_database_lock():
    executor = _migrate(BEFORE)
    old = executor.loader.project_state([node for node in BEFORE if node[1]]).apps
    user = old.get_model("auth", "User").objects.create(username="dm-upgrade", password="!")
    site = old.get_model("trials", "Site").objects.create(code="UP-01", name="Upgrade site")
    old.get_model("trials", "Membership").objects.create(user=user, role="data_manager")
    participant = old.get_model("trials", "Participant").objects.create(
        code="UP-01-001", site=site, eligible=True, created_at=AT, created_by=user)
    # (no audit row here: the table is append-only, and this test's database is flushed after it;
    # the audit tables keep their names, so their rows cannot move)
    lock = old.get_model("capture", "Lock").objects.create(
        scope="database", locked_at=AT, locked_by=user, reason="final")
    old.get_model("capture", "Lock").objects.create(
        scope="participant", participant=participant, locked_at=AT, locked_by=user)

    try:
        _migrate(_latest())
        from trialdesk.web.core.locks import database_lock_id, database_locked
        from trialdesk.web.core.models import AuditRecord, Membership, Site
        from trialdesk.web.trials.models import Participant

        assert Site.objects.get(code="UP-01").name == "Upgrade site"
        assert Membership.objects.get(user__username="dm-upgrade").role == "data_manager"
        assert Participant.objects.get(code="UP-01-001").site.code == "UP-01"
        assert AuditRecord._meta.db_table == "trials_auditrecord"
        assert database_locked()
        assert database_lock_id() == lock.pk
    finally:
        _migrate(_latest())


@pytest.mark.django_db(transaction=True)
def test_upgrading_a_database_that_is_not_locked_leaves_it_open():
    _migrate(BEFORE)
    try:
        _migrate(_latest())
        from trialdesk.web.core.locks import database_locked

        assert not database_locked()
    finally:
        _migrate(_latest())
