"""The writer's turn (core.transactions) is taken once per thread: an action that an on-commit
hook of another action runs (a safety alert sent once its report is stored) goes ahead instead of
waiting for the turn its own thread holds."""

from __future__ import annotations

import signal

import pytest
from django.db import connection, transaction

from trialdesk.web.core.actions import action


def _timeout(signum, frame):
    raise TimeoutError("the nested action waited for its own writer's turn")


@pytest.mark.django_db(transaction=True)
def test_an_action_run_by_an_on_commit_hook_does_not_wait_for_its_own_turn():
    assert connection.vendor == "sqlite"  # the file lock is SQLite's
    ran = []

    @action(None)
    def send_alert(*, actor: str) -> None:
        ran.append(("alert", actor))

    @action(None)
    def report_event(*, actor: str) -> None:
        ran.append(("report", actor))
        transaction.on_commit(lambda: send_alert(actor=actor))

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(120)
    try:
        report_event(actor="site")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert ran == [("report", "site"), ("alert", "site")]
