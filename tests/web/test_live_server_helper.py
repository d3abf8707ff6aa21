"""The live-server helper (live_server.py) starts through slow answers and never leaves a process
of a server's group behind: not when the start is interrupted, misses its deadline or the master
dies mid-start (its gunicorn workers orphaned), and not after ``stop()``."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import live_server
import pytest
import requests

WORKERS = 2


def _pgids_in_proc(pgid: int) -> list[int]:
    """Every process, zombies included, whose process group is ``pgid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[2]) == pgid:
                found.append(int(entry.name))
    return found


def _assert_group_gone(pgid: int) -> None:
    """No process of the group runs now; the zombies of orphaned workers are reaped by init
    shortly after, and then the group no longer exists at all."""
    assert live_server.group_members(pgid) == []
    assert pgid not in live_server.GROUPS
    deadline = time.monotonic() + 60
    while _pgids_in_proc(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    assert _pgids_in_proc(pgid) == []


def _probe_that_never_succeeds(monkeypatch, once_workers_run):
    """Replace the readiness probe: it always fails; once the master and its workers run,
    ``once_workers_run(pgid)`` is called first (it may raise)."""
    seen: dict[str, int] = {}

    def fake_get(url, **kwargs):
        pgid = live_server.STARTED_PGIDS[-1]
        seen["pgid"] = pgid
        if len(live_server.group_members(pgid)) >= 1 + WORKERS:
            seen["workers_ran"] = 1
            once_workers_run(pgid)
        raise requests.ConnectionError("not yet")

    monkeypatch.setattr(live_server.requests, "get", fake_get)
    return seen


class Interrupted(BaseException):
    """An interruption (Ctrl-C, a test timeout) in the middle of a start."""


def test_a_start_interrupted_after_the_workers_forked_ends_the_whole_group(tmp_path, monkeypatch):
    def interrupt(pgid):
        raise Interrupted

    seen = _probe_that_never_succeeds(monkeypatch, interrupt)
    with pytest.raises(Interrupted):
        live_server.Server(tmp_path, workers=WORKERS, threads=1)
    assert seen["workers_ran"]
    _assert_group_gone(seen["pgid"])


def test_a_master_killed_mid_start_leaves_no_worker_behind(tmp_path, monkeypatch):
    def kill_the_master_only(pgid):
        os.kill(pgid, signal.SIGKILL)  # the workers, orphaned, keep running on their own

    seen = _probe_that_never_succeeds(monkeypatch, kill_the_master_only)
    with pytest.raises(RuntimeError, match="exited") as raised:
        live_server.Server(tmp_path, workers=WORKERS, threads=1)
    assert "Booting worker" in str(raised.value)  # the tail of the server's log
    assert seen["workers_ran"]
    _assert_group_gone(seen["pgid"])


def test_a_start_that_misses_its_deadline_ends_the_group(tmp_path, monkeypatch):
    monkeypatch.setenv(live_server.START_TIMEOUT_VARIABLE, "2")
    seen = _probe_that_never_succeeds(monkeypatch, lambda pgid: None)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not answer within 2 s"):
        live_server.Server(tmp_path, workers=WORKERS, threads=1)
    assert time.monotonic() - started < 60
    _assert_group_gone(seen["pgid"])


def test_a_server_whose_probe_times_out_a_few_times_still_starts_and_stops_whole(
    tmp_path, monkeypatch
):
    real_get = requests.get
    calls = []

    def slow_at_first(url, **kwargs):
        calls.append(url)
        if len(calls) <= 3:
            raise requests.ReadTimeout("the first answers are slow")
        return real_get(url, **kwargs)

    monkeypatch.setattr(live_server.requests, "get", slow_at_first)
    with live_server.running(tmp_path, workers=WORKERS, threads=1) as server:
        assert len(calls) > 3
        # the master, its web workers and the task worker it started (issue 20)
        assert len(live_server.group_members(server.pgid)) == 1 + WORKERS + 1
        assert real_get(server.url + "/accounts/login/", timeout=60).status_code == 200
    _assert_group_gone(server.pgid)


def test_kill_all_ends_a_server_left_running(tmp_path):
    server = live_server.Server(tmp_path, workers=WORKERS, threads=1)
    assert server.pgid in live_server.live_groups()
    assert live_server.kill_all() == [server.pgid]
    _assert_group_gone(server.pgid)
    server.log.close()
