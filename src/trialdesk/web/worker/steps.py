"""Checkpointed task steps: a task run again (its worker died) does not redo a finished step.

A step's value is written when it is done, and read back instead of computed when the task runs
again; the step must be deterministic (the same inputs give the same value), which is what makes
running it again harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from trialdesk.web.worker import runner
from trialdesk.web.worker.models import TaskStep

T = TypeVar("T")


def done_steps(key: str) -> dict[int, Any]:
    """The values of the finished steps of ``key``, by index."""
    return dict(TaskStep.objects.filter(key=key).values_list("index", "value"))


def step(key: str, index: int, compute: Callable[[], T], *, dump: Callable[[T], Any],
         load: Callable[[Any], T], done: dict[int, Any] | None = None) -> T:
    """Step ``index`` of the work ``key``: its kept value if it was done, else ``compute()``,
    kept (as ``dump(value)``, JSON) before it is returned. ``done``: ``done_steps(key)`` read
    once by the caller, to save a query per step."""
    kept = done.get(index) if done is not None else (
        TaskStep.objects.filter(key=key, index=index).values_list("value", flat=True).first())
    if kept is not None:
        return load(kept)
    value = compute()
    try:
        with transaction.atomic():
            TaskStep.objects.create(key=key, index=index, value=dump(value),
                                    worker_id=runner.current_worker_id, done_at=timezone.now())
    except IntegrityError:
        pass  # another run of the same task kept it first: the same value, by determinism
    return value


def forget(key: str) -> None:
    """Drop the steps of ``key`` (its task has recorded its end)."""
    TaskStep.objects.filter(key=key).delete()
