"""The writer's turn every action waits for before its transaction (``core.actions``).

On SQLite, writers queue on a file lock before ``BEGIN IMMEDIATE``: SQLite's own busy handler
polls with growing sleeps (up to 100 ms), which under 16 concurrent writers turns into second-long
tail latencies; a blocking ``flock`` hands the turn over as soon as it is free. PostgreSQL needs no
queue: its row locks and the advisory lock in :func:`audit.lock_writes` block without polling.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

_turn = threading.local()  # whether this thread holds the turn


@contextmanager
def writer_turn() -> Iterator[None]:
    """Wait for the SQLite writer's turn (nothing to wait for on PostgreSQL or when nested).

    Nested includes an action run by another's on-commit hook (an alert sent once the report that
    raised it is stored): the hook runs after the commit but inside the first action's turn, and a
    second ``flock`` of the same file from the same thread would wait for itself forever.
    """
    if (connection.vendor != "sqlite" or connection.in_atomic_block
            or getattr(_turn, "held", False)):
        yield
        return
    with open(settings.DATA_DIR / "write.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _turn.held = True
        try:
            yield
        finally:
            _turn.held = False
            fcntl.flock(handle, fcntl.LOCK_UN)
