"""Run a simulation SPEC in chunks in a background thread, recording progress on the job row.

The loop is :func:`trialdesk.stats.design.simulate.simulate`'s own (same seed tree, same chunks),
so a job gives exactly the numbers of ``simulate(spec, sims, seed=seed, chunk=chunk)``; it only
adds a progress update after each chunk. Work is bounded: at most ``MAX_SIMS`` trials per
scenario, ``MAX_RUNNING`` jobs at a time, ``KEEP_PER_USER`` jobs kept per user.

A job is started by :func:`~trialdesk.web.design.actions.do_start_simulation` and ended by
:func:`~trialdesk.web.design.actions.do_finish_simulation`, both audited; in between, the thread
only moves the row's progress (``_mark``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import tomllib
from collections.abc import Callable
from typing import Any

import numpy as np
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from trialdesk.stats.design.simulate import (
    ScenarioResult,
    exact_oc,
    normal_approximation,
    simulate_chunk,
)
from trialdesk.stats.design.spec import SimulationSpec, parse_spec
from trialdesk.web.core.actor import actor_for
from trialdesk.web.design.actions import KEEP_PER_USER as KEEP_PER_USER  # the pages read it here
from trialdesk.web.design.actions import chunk_sizes, do_finish_simulation, do_start_simulation
from trialdesk.web.design.models import SimulationJob

MAX_SIMS = 500_000
MAX_SCENARIOS = 10
MAX_PARTICIPANTS = 5_000
MAX_RUNNING = 2
# A job whose row has not moved for this long lost its thread (a worker restart): show it failed.
STALE_AFTER = dt.timedelta(minutes=10)
# SQLite answers "database is locked" when another connection writes at that moment; a progress
# update (or the job's end) waits for its turn rather than losing the job.
_RETRIES, _RETRY_SECONDS = 100, 0.05
log = logging.getLogger(__name__)


def load_spec_text(text: str) -> SimulationSpec:
    """Parse and validate a SPEC given as TOML text (SpecError or ValueError on a bad one)."""
    from trialdesk.stats.design.spec import SpecError

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"not valid TOML: {error}") from error
    spec = parse_spec(data)
    if len(spec.scenarios) > MAX_SCENARIOS:
        raise SpecError(f"scenarios: at most {MAX_SCENARIOS}")
    if spec.n_max > MAX_PARTICIPANTS:
        raise SpecError(f"design: at most {MAX_PARTICIPANTS} participants on this page")
    return spec


def running_jobs() -> int:
    """Return the number of jobs that are running now (stale ones excluded)."""
    fresh = timezone.now() - STALE_AFTER
    return SimulationJob.objects.filter(
        state__in=[SimulationJob.QUEUED, SimulationJob.RUNNING], updated_at__gte=fresh).count()


def is_stale(job: SimulationJob) -> bool:
    """Return True if the job says it runs but its thread has not reported for too long."""
    return (job.state in (SimulationJob.QUEUED, SimulationJob.RUNNING)
            and job.updated_at < timezone.now() - STALE_AFTER)


def create_simulation_job_for(*, owner: Any, spec_text: str, spec: SimulationSpec, sims: int,
                             seed: int | None) -> SimulationJob:
    """Start a job for a user rather than an Actor: :func:`do_start_simulation`, audited.

    Writes nothing itself; it resolves the user's role (which must allow the design pages).
    """
    return do_start_simulation(actor_for(owner), spec_text=spec_text, spec=spec, sims=sims,
                               seed=seed)


def start(job: SimulationJob) -> threading.Thread:
    """Run the job in a daemon thread; return the thread."""
    thread = threading.Thread(target=run_job, args=(job.pk,), daemon=True,
                              name=f"simulation-{job.pk}")
    thread.start()
    return thread


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def results_of(spec: SimulationSpec, tallies: list[Any], per: int) -> dict[str, Any]:
    """Combine the chunks' tallies into the page's (and the CLI's ``--json``) result object."""
    rows = []
    for i, scenario in enumerate(spec.scenarios):
        total = tallies[i * per]
        for tally in tallies[i * per + 1:(i + 1) * per]:
            total = total + tally
        result = ScenarioResult(scenario, total, exact_oc(spec, scenario),
                                normal_approximation(spec, scenario))
        rows.append(result.to_dict(spec))
    out = {
        "name": spec.name,
        "endpoint": spec.endpoint,
        "participants": spec.participants.tolist(),
        "event_looks": None if spec.event_looks is None else spec.event_looks.tolist(),
        "upper": spec.bounds.upper.tolist(),
        "lower": spec.bounds.lower.tolist() if spec.bounds.futility else None,
        "scenarios": rows,
    }
    return _json_ready(out)


def run_job(job_id: Any) -> None:
    """Simulate the job's SPEC chunk by chunk, saving progress, then record its end; never raises.

    The end (done or failed) is :func:`do_finish_simulation`, audited with the actor "system".
    """
    close_old_connections()
    try:
        try:
            job = SimulationJob.objects.get(pk=job_id)
            spec = load_spec_text(job.spec_toml)
            _mark(job_id, state=SimulationJob.RUNNING)
            started = time.perf_counter()
            sizes = chunk_sizes(job.sims, job.chunk)
            root = np.random.SeedSequence(job.seed)
            tallies = []
            for scenario, seeds in zip(spec.scenarios, root.spawn(len(spec.scenarios)),
                                       strict=True):
                for size, child in zip(sizes, seeds.spawn(len(sizes)), strict=True):
                    tallies.append(simulate_chunk(spec, scenario, size, child))
                    _mark(job_id, chunks_done=len(tallies))
            result = results_of(spec, tallies, len(sizes))
            _retrying(do_finish_simulation, job_id, state=SimulationJob.DONE, result=result,
                      seconds=time.perf_counter() - started)
        except Exception as error:  # the job row reports whatever went wrong
            _retrying(do_finish_simulation, job_id, state=SimulationJob.FAILED,
                      error=str(error)[:2000])
    except Exception:
        # the end cannot be recorded: the row goes stale and is shown failed after STALE_AFTER
        log.exception("simulation %s ended and could not be marked", job_id)
    finally:
        connection.close()


def _retrying(write: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``write(*args, **kwargs)``, again while SQLite answers that the database is locked."""
    for attempt in range(_RETRIES):
        try:
            return write(*args, **kwargs)
        except OperationalError:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(_RETRY_SECONDS)
    return None


def _mark(job_id: Any, **fields: Any) -> None:
    """Move the job's progress (running, chunks done): one UPDATE of this job's row only.

    Not an action, and not audited: a progress tick is the server's bookkeeping of a computation
    whose start and end are audited, not a change anyone made. Auditing it would add one record
    per chunk and make the worker queue for the trial's write lock after every chunk; as one
    UPDATE statement of one row it is atomic on its own and touches nothing else.
    """
    # update() skips auto_now, so the heartbeat is set here
    _retrying(lambda: SimulationJob.objects.filter(pk=job_id).update(
        updated_at=timezone.now(), **fields))
