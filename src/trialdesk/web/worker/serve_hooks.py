"""gunicorn hooks of ``trialdesk serve``: task workers beside the web workers, ended with them.

gunicorn loads this module as its configuration (``-c python:...``). When its master starts, it
starts ``TRIALDESK_TASK_WORKERS`` (default 1) ``trialdesk worker`` processes on the same data
directory and database (the environment ``trialdesk serve`` set up); when the master exits they
are asked to stop (SIGTERM: each finishes its running task, then exits; SIGKILL after
``STOP_SECONDS``). Should the master itself be killed, the kernel sends each worker SIGTERM
(``PR_SET_PDEATHSIG``), so no worker outlives its server; a task it was running is run again by
the next worker (``runner.recover_lost``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from contextlib import suppress
from typing import Any

STOP_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1
_workers: list[subprocess.Popen] = []


def _die_with_parent() -> None:
    # runs in the child between fork and exec: ask the kernel for SIGTERM when the master dies
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def worker_command() -> list[str]:
    """The command line of one task worker, on the server's data directory."""
    command = [sys.executable, "-m", "trialdesk.cli", "worker"]
    if os.environ.get("TRIALDESK_DATA_DIR"):
        command += ["--data-dir", os.environ["TRIALDESK_DATA_DIR"]]
    return command  # the database and the protocol come from the environment


def start_workers(count: int) -> list[subprocess.Popen]:
    """Start ``count`` task workers (children of this process)."""
    for _ in range(count):
        _workers.append(subprocess.Popen(  # noqa: S603 (a fixed command line)
            worker_command(), stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent))
    return list(_workers)


def stop_workers(timeout: float = STOP_SECONDS) -> None:
    """SIGTERM every task worker, then SIGKILL those still running after ``timeout``."""
    for process in _workers:
        with suppress(ProcessLookupError):
            process.terminate()
    for process in _workers:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    _workers.clear()


def on_starting(server: Any) -> None:
    start_workers(int(os.environ.get("TRIALDESK_TASK_WORKERS", "1")))


def on_exit(server: Any) -> None:
    stop_workers()
