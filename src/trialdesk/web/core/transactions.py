"""The write transaction every action runs in.

On SQLite, writers queue on a file lock before ``BEGIN IMMEDIATE``: SQLite's own busy handler
polls with growing sleeps (up to 100 ms), which under 16 concurrent writers turns into second-long
tail latencies; a blocking ``flock`` hands the turn over as soon as it is free. PostgreSQL needs no
queue: its row locks and the advisory lock in :func:`audit.lock_writes` block without polling.
"""

from __future__ import annotations

import fcntl
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import connection, transaction

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def writer_turn() -> Iterator[None]:
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with open(settings.DATA_DIR / "write.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_transaction(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in one atomic write transaction, after waiting for the writer's turn."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with writer_turn(), transaction.atomic():
            return function(*args, **kwargs)

    return wrapper
