"""The audit trail on PostgreSQL: the trigger rejects UPDATE/DELETE; a forged record is named."""

from __future__ import annotations

import json

import psycopg
import pytest
from live_server import create_database, drop_database, postgres_database, trialdesk


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory, postgres_url):
    """One demo trial for the module; the forgery test, which breaks it, runs last."""
    tmp_path = tmp_path_factory.mktemp("audit-postgres")
    admin_url, url = postgres_database(postgres_url)
    create_database(admin_url, url)
    try:
        trialdesk("serve", "--data-dir", str(tmp_path), "--demo", "--demo-participants", "6",
                  "--setup-only", data_dir=tmp_path, database=url)
        yield url
    finally:
        drop_database(admin_url, url)


def _verify(tmp_path, url) -> dict:
    result = trialdesk("audit", "verify", "--json", "--data-dir", str(tmp_path),
                       data_dir=tmp_path, database=url, check=False)
    return json.loads(result.stdout)


@pytest.mark.postgres
@pytest.mark.parametrize("sql", ["UPDATE trials_auditrecord SET actor = 'mallory'",
                                 "DELETE FROM trials_auditrecord",
                                 "TRUNCATE trials_auditrecord"])
def test_postgres_trigger_rejects_changes_to_the_audit_trail(demo_database, sql):
    with psycopg.connect(demo_database) as connection, \
            pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        connection.execute(sql)


@pytest.mark.postgres
def test_postgres_forgery_with_trigger_disabled_is_named(demo_database, tmp_path):
    # the data dir only holds the secret key here; the records are in PostgreSQL
    assert _verify(tmp_path, demo_database)["ok"]
    with psycopg.connect(demo_database) as connection:
        connection.execute("ALTER TABLE trials_auditrecord DISABLE TRIGGER USER")
        connection.execute("UPDATE trials_auditrecord SET reason = 'backdated' WHERE seq = 9")
        connection.execute("ALTER TABLE trials_auditrecord ENABLE TRIGGER USER")
    body = _verify(tmp_path, demo_database)
    assert not body["ok"] and body["first_bad_record"] == 9
