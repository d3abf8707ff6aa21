"""Whether the database is locked: after database lock no clinical data may change.

The lock records (who locked, why, the unlock) belong to data capture; this layer keeps only which
one is in force, so every app's writers can refuse without importing data capture.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from trialdesk.web.core import sql
from trialdesk.web.core.errors import DatabaseLocked
from trialdesk.web.core.models import DatabaseLockState


def database_locked() -> bool:
    """Return True once the database is locked: no clinical data may change.

    Plain SQL (``core.sql``): every clinical write asks this first.
    """
    return sql.fetch_one(_locked_sql(), (DatabaseLockState.SINGLETON, True)) is not None


@cache
def _locked_sql() -> str:
    model = DatabaseLockState
    return (f"SELECT 1 FROM {sql.table(model)} WHERE {sql.column(model, 'id')} = %s "  # noqa: S608
            f"AND {sql.column(model, 'locked')} = %s")


def database_lock_id() -> int | None:
    """Return the id of the data-capture lock record in force, or None when the database is open."""
    state = DatabaseLockState.objects.filter(pk=DatabaseLockState.SINGLETON, locked=True).first()
    return state.lock_id if state is not None else None


def refuse_if_database_locked() -> None:
    """Raise DatabaseLocked after database lock; every clinical write calls this first."""
    if database_locked():
        raise DatabaseLocked


def record_database_lock(lock_id: int | None, at: datetime) -> None:
    """Record the lock now in force (``None``: the database is open again).

    Only the lock and unlock actions call this, inside their transaction, with their audit record.
    """
    DatabaseLockState.objects.update_or_create(
        pk=DatabaseLockState.SINGLETON,
        defaults={"locked": lock_id is not None, "lock_id": lock_id, "changed_at": at},
    )
