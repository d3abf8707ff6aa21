"""``core.unavailable``: which database failures answer 503 (retry) or 507 (disk full), and the
answers themselves; every other database error stays a 500. The failures are real driver errors
(SQLite's from a real connection), wrapped by Django's database layer as it raises them.

The end-to-end cases: ``test_web_database_disk_full.py`` (SQLite's disk fills mid-burst) and
``test_web_database_restart_postgres.py`` (PostgreSQL's connections cut mid-burst).
"""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from api_client import ApiClient
from django.db import InterfaceError, OperationalError, ProgrammingError
from enrollment import enroll

from trialdesk.web.core.unavailable import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    STORAGE_FULL,
    diagnose,
)


def _as_django_raises(error: Exception, kind: type[Exception] = OperationalError) -> Exception:
    """``error`` wrapped as Django's ``DatabaseErrorWrapper`` raises it (``from`` the driver's)."""
    try:
        raise kind(*error.args) from error
    except kind as wrapped:
        return wrapped


def _sqlite_error(*statements: str) -> sqlite3.Error:
    connection = sqlite3.connect(":memory:")
    try:
        for statement in statements[:-1]:
            connection.execute(statement)
        with pytest.raises(sqlite3.Error) as caught:
            connection.execute(statements[-1])
        return caught.value
    finally:
        connection.close()


def test_sqlite_full_is_storage_full():
    full = _sqlite_error("CREATE TABLE t (x)", "PRAGMA max_page_count = 2",
                         "INSERT INTO t VALUES (zeroblob(100000))")
    assert full.sqlite_errorcode == sqlite3.SQLITE_FULL
    assert diagnose(_as_django_raises(full)) is STORAGE_FULL


def test_a_busy_sqlite_file_is_unavailable_and_a_wrong_statement_stays_a_server_error():
    busy = sqlite3.OperationalError("database is locked")
    assert diagnose(_as_django_raises(busy)) is DATABASE_UNAVAILABLE
    wrong = _sqlite_error("SELECT * FROM no_such_table")
    assert diagnose(_as_django_raises(wrong)) is None


@pytest.mark.parametrize("error", [
    psycopg.OperationalError("server closed the connection unexpectedly"),  # no SQLSTATE
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.errors.CannotConnectNow("the database system is starting up"),
    psycopg.errors.TooManyConnections("sorry, too many clients already"),
], ids=lambda error: type(error).__name__)
def test_postgresql_restarting_or_disconnected_is_unavailable(error):
    assert diagnose(_as_django_raises(error)) is DATABASE_UNAVAILABLE


def test_postgresql_down_refusing_connections_is_unavailable():
    # a real refusal: nothing listens on the port (as while the server restarts)
    from live_server import free_port

    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/test", connect_timeout=5)
    assert diagnose(_as_django_raises(caught.value)) is DATABASE_UNAVAILABLE


def test_postgresql_disk_full_is_storage_full():
    full = psycopg.errors.DiskFull("could not extend file: No space left on device")
    assert diagnose(_as_django_raises(full)) is STORAGE_FULL


@pytest.mark.parametrize("error, kind", [
    (psycopg.errors.UndefinedTable("relation does not exist"), ProgrammingError),
    (psycopg.errors.SerializationFailure("could not serialize access"), OperationalError),
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
     OperationalError),
], ids=lambda value: getattr(value, "__name__", type(value).__name__))
def test_other_postgresql_errors_stay_server_errors(error, kind):
    assert diagnose(_as_django_raises(error, kind)) is None


def test_a_closed_connection_is_unavailable_and_errors_outside_the_database_are_not():
    assert diagnose(InterfaceError("connection already closed")) is DATABASE_UNAVAILABLE
    assert diagnose(ValueError("database or disk is full")) is None  # not the database's
    assert diagnose(None) is None


def test_the_api_answers_503_with_retry_after_and_its_error_shape(trial, monkeypatch):
    from trialdesk.web.api import router

    investigator = ApiClient(trial.users["investigator-co-01"], raise_request_exception=False)
    code = enroll(investigator)

    def lost_connection(*args, **kwargs):
        raise _as_django_raises(
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"))

    monkeypatch.setattr(router.actions, "do_randomize", lost_connection)
    response = investigator.post(f"/api/v1/participants/{code}/randomize",
                                 {"idempotency_key": "retry-me-later"})
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert body["error"] == "database_unavailable"
    assert "same idempotency key" in body["detail"] and "terminating" not in body["detail"]
    assert "no-store" in response["Cache-Control"]


def _lost_connection(*args, **kwargs):
    raise _as_django_raises(
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"))


def test_a_page_answers_503_in_the_readers_language_with_retry_after(trial, monkeypatch):
    from django.test import Client

    from trialdesk.web.trials import views

    investigator = trial.users["investigator-co-01"]
    code = enroll(ApiClient(investigator))
    browser = Client(raise_request_exception=False, headers={"Accept-Language": "es"})
    browser.force_login(investigator)
    monkeypatch.setattr(views.actions, "do_randomize", _lost_connection)
    response = browser.post(f"/participants/{code}/randomize/",
                            {"idempotency_key": "retry-me-later", "confirm": "on"})
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "No se puede acceder a la base de datos del ensayo" in page
    assert "terminating" not in page and code not in page  # nothing of the failure or request


def test_a_failure_before_any_view_is_said_the_same_way(trial, monkeypatch):
    # the session look-up (a middleware's) meets the cut connection: Django's handler500
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    browser = Client(raise_request_exception=False)
    browser.force_login(trial.users["monitor"])
    monkeypatch.setattr(SessionStore, "load", _lost_connection)
    page = browser.get("/")
    assert page.status_code == 503 and page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "The trial database cannot be reached right now" in page.content.decode()
    api = browser.get("/api/v1/me")
    assert api.status_code == 503 and api.json()["error"] == "database_unavailable"
