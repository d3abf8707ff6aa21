"""Checkpointed task steps: a task run again (its worker died) does not redo a finished step.

A step's value is written when it is done, and read back instead of computed when the task runs
again; the step must be deterministic (the same inputs give the same value), which is what makes
running it again harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from trialdesk.web.worker import runner
from trialdesk.web.worker.models import TaskStep

T = TypeVar("T")
# SQLite answers "database is locked" when another connection writes at that moment (at once, in
# a shared-cache memory database); a step's record waits for its turn rather than failing the task
_RETRIES, _RETRY_SECONDS = 100, 0.05


def retrying(work: Callable[[], T]) -> T:
    """``work()``, again while SQLite answers that the database is locked."""
    for attempt in range(_RETRIES):
        try:
            return work()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == _RETRIES - 1:
                raise
            time.sleep(_RETRY_SECONDS)
    raise AssertionError("unreachable")


def done_steps(key: str) -> dict[int, Any]:
    """The values of the finished steps of ``key``, by index."""
    return retrying(lambda: dict(TaskStep.objects.filter(key=key).values_list("index", "value")))


def step(key: str, index: int, compute: Callable[[], T], *, dump: Callable[[T], Any],
         load: Callable[[Any], T], done: dict[int, Any] | None = None) -> T:
    """Step ``index`` of the work ``key``: its kept value if it was done, else ``compute()``,
    kept (as ``dump(value)``, JSON) before it is returned. ``done``: ``done_steps(key)`` read
    once by the caller, to save a query per step."""
    kept = done.get(index) if done is not None else retrying(
        lambda: TaskStep.objects.filter(key=key, index=index).values_list(
            "value", flat=True).first())
    if kept is not None:
        return load(kept)
    value = compute()
    dumped = dump(value)

    def keep() -> None:
        try:
            with transaction.atomic():
                TaskStep.objects.create(key=key, index=index, value=dumped,
                                        worker_id=runner.current_worker_id,
                                        done_at=timezone.now())
        except IntegrityError:
            pass  # another run of the same task kept it first: the same value, by determinism

    retrying(keep)
    return value


def forget(key: str) -> None:
    """Drop the steps of ``key`` (its task has recorded its end)."""
    retrying(lambda: TaskStep.objects.filter(key=key).delete())
