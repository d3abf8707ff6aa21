"""``simulate_trial``: the stages of a whole simulated trial on a simulated clock.

setup (sites, users, the committed list) -> enrollment (sites open at different dates, Poisson
arrivals, follow-up running alongside) -> follow-up (to the last participant's last visit) ->
lock (queries closed, database lock) -> final (the two-person final unblinding).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from trialdesk.web.core import clock
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.simulation.cast import find_cast
from trialdesk.web.simulation.consort import consort_counts
from trialdesk.web.simulation.flow import DAY, Flow
from trialdesk.web.simulation.lock_review import final_review_and_lock
from trialdesk.web.simulation.monitoring import SiteMonitoring
from trialdesk.web.simulation.outcomes import EFFECTS
from trialdesk.web.simulation.outputs import write_outputs
from trialdesk.web.simulation.timeline import Timeline
from trialdesk.web.trials import actions as trial_actions
from trialdesk.web.trials.actions.sites import do_set_site_status
from trialdesk.web.trials.demo import commit_allocation_list, create_demo_users
from trialdesk.web.trials.models import Participant

STAGES = ("setup", "enrollment", "follow-up", "lock", "final", "outputs")
STOPS = ("enrollment", "lock", "final")
SCREENED_PER_RANDOMIZED = 1.45  # about 28% ineligible, 4% declining
Progress = Callable[[str, int, int], None]
Checkpoint = Callable[[str], None]


@dataclass
class SimulationResult:
    data_dir: Path
    stop_at: str
    started: dt.datetime  # simulated time
    ended: dt.datetime
    first_randomization: dt.date | None
    last_randomization: dt.date | None
    not_randomized: int
    counts: dict[str, Any]
    users: list[dict[str, Any]]
    commitment: str
    seconds: dict[str, float] = field(default_factory=dict)  # wall-clock time per stage
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # this process's CPU per stage
    outputs: dict[str, Path] = field(default_factory=dict)  # report, exports, CONSORT numbers


def _start_of_trial() -> dt.datetime:
    parts = [int(part) for part in get_protocol().registry.start_date.split("-")]
    year, month, day = [*parts, 1, 1][:3]
    return dt.datetime(year, month, day, 8, 0, tzinfo=dt.UTC)


def _enrollment_days(participants: int) -> float:
    # months for a small trial; capped so that 10,000 participants end before the present day
    return min(150.0 + participants * 0.5, 540.0)


def simulate_trial(
    *, data_dir: Path, participants: int = 40, seed: int = 20200113, effect: str = "realistic",
    stop_at: str = "final", progress: Progress | None = None, checkpoint: Checkpoint | None = None,
) -> SimulationResult:
    """Run a whole synthetic trial into the configured (empty) database through the actions.

    ``checkpoint(stage)`` is called as each stage ends, on the simulated clock: a caller can look
    at the trial as it is then (the blinding tests crawl the pages of the locked, blinded trial).
    """
    if effect not in EFFECTS:
        raise ValueError(f"effect must be one of {', '.join(EFFECTS)}")
    if stop_at not in STOPS:
        raise ValueError(f"stop_at must be one of {', '.join(STOPS)}")
    if Participant.objects.exists():
        raise RuntimeError("the database already holds participants: simulate into a new one")
    report = progress or (lambda stage, done, total: None)
    reached = checkpoint or (lambda stage: None)
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    simulated = clock.SimulatedClock(_start_of_trial())
    started = simulated.now()
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with clock.use_clock(simulated), _batch_commits():
        tick, cpu_tick = time.perf_counter(), time.process_time()
        trial_actions.do_load_sites(actor="demo")
        users = create_demo_users(data_dir)
        size = None if participants <= get_protocol().design.target_enrollment else participants
        _demo_allocation_seed(data_dir, seed)
        commitment = commit_allocation_list(data_dir, size)
        cast = find_cast({u["username"]: u["password"] for u in users})
        report("setup", 1, 1)
        seconds["setup"], cpu["setup"] = _since(tick, cpu_tick)

        timeline = Timeline(simulated)
        flow = Flow(timeline, rng, cast, effect=effect, target=participants)
        _open_sites(timeline, flow, rng, participants)
        monitoring = SiteMonitoring(timeline, cast, data_dir, seed)
        monitoring.start()
        tick, cpu_tick = time.perf_counter(), time.process_time()
        timeline.run_until(done=lambda: _enrolled(flow, report))
        seconds["enrollment"], cpu["enrollment"] = _since(tick, cpu_tick)
        reached("enrollment")
        if stop_at == "enrollment":
            timeline.drop()
        else:
            tick, cpu_tick = time.perf_counter(), time.process_time()
            events = 0

            def drained() -> bool:
                nonlocal events
                events += 1
                if events % 50 == 0:
                    report("follow-up", events, events + len(timeline))
                return False

            timeline.run_until(done=drained)
            report("follow-up", events, events)
            seconds["follow-up"], cpu["follow-up"] = _since(tick, cpu_tick)
            reached("follow-up")
            tick, cpu_tick = time.perf_counter(), time.process_time()
            monitoring.close_out(simulated)  # the monitors' last round, before the final review
            _lock(simulated, cast, report)
            seconds["lock"], cpu["lock"] = _since(tick, cpu_tick)
            reached("lock")
            if stop_at == "final":
                tick, cpu_tick = time.perf_counter(), time.process_time()
                _unblind(simulated, cast)
                report("final", 1, 1)
                seconds["final"], cpu["final"] = _since(tick, cpu_tick)
                reached("final")
        tick, cpu_tick = time.perf_counter(), time.process_time()
        outputs = write_outputs(data_dir, cast.analyst)
        report("outputs", 1, 1)
        seconds["outputs"], cpu["outputs"] = _since(tick, cpu_tick)
        ended = simulated.now()
    return SimulationResult(
        data_dir=data_dir, stop_at=stop_at, started=started, ended=ended,
        first_randomization=flow.tally.first_randomization,
        last_randomization=flow.tally.last_randomization,
        not_randomized=flow.tally.not_randomized,
        counts=consort_counts(by_arm=stop_at == "final"), users=users, commitment=commitment,
        seconds=seconds, cpu_seconds=cpu, outputs=outputs)


def _demo_allocation_seed(data_dir: Path, seed: int) -> None:
    """The demo's allocation seed comes from ``--seed``, so that the same seed gives the same
    trial (arms and kit codes included). A real trial's seed is 256 random bits made once
    (``trialdesk serve``): whoever knows a demo's ``--seed`` can re-derive its arms."""
    path = data_dir / "allocation-seed"
    if not path.exists():
        digest = hashlib.sha256(f"trialdesk-demo-allocation\n{seed}".encode()).hexdigest()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(digest + "\n")


def _since(wall: float, cpu: float) -> tuple[float, float]:
    return time.perf_counter() - wall, time.process_time() - cpu


@contextlib.contextmanager
def _batch_commits() -> Any:
    """SQLite syncs the simulation's commits at checkpoints only (synchronous=NORMAL).

    The server syncs every commit (synchronous=FULL) because it acknowledges each to a person; the
    simulation is a batch that is simply run again from its seed if the machine stops, and one
    fsync per commit is a tenth of its time. The writes themselves are the server's own actions.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # (a test's transaction)
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")


def _enrolled(flow: Flow, report: Progress) -> bool:
    tally = flow.tally
    report("enrollment", tally.randomized, flow.target)
    return not flow.enrollment_open() and tally.randomized + tally.not_randomized >= tally.committed


def _open_sites(timeline: Timeline, flow: Flow, rng: random.Random, participants: int) -> None:
    """Sites open weeks apart; each then screens patients arriving as a Poisson process."""
    teams = list(flow.cast.sites.values())
    days = _enrollment_days(participants)
    openings = sorted([0.0] + [rng.uniform(10, days * 0.35) for _ in teams[1:]])
    site_days = sum(days - opening for opening in openings)
    rate = participants * SCREENED_PER_RANDOMIZED / site_days  # patients per site and day
    start = timeline.clock.now()

    def arrival(team: Any) -> None:
        if not flow.enrollment_open():
            return
        flow.arrive(team)
        timeline.after(DAY * rng.expovariate(rate), lambda: arrival(team))

    def activate(code: str) -> None:
        # a site is listed publicly (registry) once active; the demo's sites start planned
        if flow.cast.site_admin is not None and Site.objects.filter(
                code=code, status=Site.PLANNED).exists():
            do_set_site_status(flow.cast.site_admin, code, Site.ACTIVE,
                               reason="Site initiation visit done: the site opens.")

    for code, team, opening in zip(flow.cast.sites, teams, openings, strict=True):
        timeline.at(start + DAY * opening, lambda c=code: activate(c))
        first = start + DAY * (opening + rng.expovariate(rate))
        timeline.at(first, lambda t=team: arrival(t))


def _lock(simulated: clock.SimulatedClock, cast: Any, report: Progress) -> None:
    """Two weeks after the last visit: the final data review, then database lock."""
    simulated.advance(DAY * 14)
    final_review_and_lock(simulated, cast, report)


def _unblind(simulated: clock.SimulatedClock, cast: Any) -> None:
    simulated.advance(DAY * 2)
    trial_actions.do_request_final_unblinding(
        cast.data_manager, reason="Database locked: the final analysis of the protocol is due.")
    simulated.advance(DAY)
    trial_actions.do_approve_final_unblinding(
        cast.approver, reason="Lock verified; the DSMB approves the final unblinding.")
