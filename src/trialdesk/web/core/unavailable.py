"""A database that cannot answer (PostgreSQL restarting, a connection cut, SQLite's file busy
past its timeout) or whose disk is full: a clear answer instead of a bare 500.

- the database unreachable or restarting: **503** with ``Retry-After``; on the API the JSON error
  ``database_unavailable`` saying to send the request again with the same idempotency key (the
  write, if it was made before the connection was lost, is then answered from its first answer,
  never made twice: ``core.idempotency``, randomization's own key);
- the disk full (SQLite's ``SQLITE_FULL``, PostgreSQL's ``disk_full``, 53100): **507**,
  ``storage_full``, naming the disk of the server's data directory; the operator must free space,
  so no retry hint.

Either way nothing was half-written: every write is one transaction (``core.actions``), rolled
back whole when its connection fails. Only these causes are answered so: any other database
error (a bug, a constraint) stays a 500, logged. The answer is made by the error handlers
(``api.errors``: the API's handler for an operation's exception and Django's ``handler500`` for
one raised anywhere else, the sign-in's session look-up included) from :func:`diagnose`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 5
UNAVAILABLE, FULL = "database_unavailable", "storage_full"

# SQLite result codes (primary, the low byte) that mean "not now", not "wrong"
_SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
                      sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL}
# PostgreSQL SQLSTATEs: connection exceptions (class 08), the server shutting down or starting
# (57P01-57P03: admin_shutdown, crash_shutdown, cannot_connect_now), too many connections
_POSTGRES_UNAVAILABLE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300")
_POSTGRES_DISK_FULL = "53100"


@dataclass(frozen=True)
class Unavailable:
    """Why the database could not serve the request, as the answer says it."""

    status: int
    error: str
    detail: str
    retry_after: int | None


DATABASE_UNAVAILABLE = Unavailable(
    503, UNAVAILABLE,
    f"the trial database cannot be reached (restarting or disconnected); retry in "
    f"{RETRY_AFTER_SECONDS} seconds with the same idempotency key: a write is carried out at "
    f"most once", RETRY_AFTER_SECONDS)
STORAGE_FULL = Unavailable(
    507, FULL,
    "the disk of the server's data directory, which holds the trial database, is full: nothing "
    "was saved; the server's operator must free space on that disk", None)


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _sqlite(error: sqlite3.Error) -> Unavailable | None:
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(error).lower()
    if primary == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return STORAGE_FULL
    if primary in _SQLITE_BUSY_CODES or "database is locked" in text:
        return DATABASE_UNAVAILABLE
    return None


def _postgres(error: BaseException) -> Unavailable | None:
    import psycopg  # only reached with the driver installed (the error is its own)

    if not isinstance(error, psycopg.Error):
        return None
    state = getattr(error, "sqlstate", None)
    if state == _POSTGRES_DISK_FULL:
        return STORAGE_FULL
    if isinstance(error, psycopg.InterfaceError):
        return DATABASE_UNAVAILABLE
    # no SQLSTATE: the client's own failure (the server closed the connection, refused it)
    if isinstance(error, psycopg.OperationalError) and (
            state is None or state.startswith(_POSTGRES_UNAVAILABLE_PREFIXES)):
        return DATABASE_UNAVAILABLE
    return None


def diagnose(error: BaseException | None) -> Unavailable | None:
    """Return why ``error`` (or an error it was raised from) means the database is unreachable
    or full; None for any other error, which stays a server error."""
    chain = list(_chain(error))
    if not any(isinstance(item, (OperationalError, InterfaceError)) for item in chain):
        return None  # only what Django's database layer raised
    for item in chain:
        if isinstance(item, sqlite3.Error):
            return _sqlite(item)
        if type(item).__module__.startswith("psycopg"):
            return _postgres(item)
    # Django's own: a closed connection used again ("connection already closed")
    if any(isinstance(item, InterfaceError) for item in chain):
        return DATABASE_UNAVAILABLE
    return None
