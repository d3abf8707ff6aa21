"""Run a simulation SPEC in chunks as a background task, recording progress on the job row.

The loop is :func:`trialdesk.stats.design.simulate.simulate`'s own (same seed tree, same chunks),
so a job gives exactly the numbers of ``simulate(spec, sims, seed=seed, chunk=chunk)``; it only
adds a progress update after each chunk. Work is bounded: at most ``MAX_SIMS`` trials per
scenario, ``MAX_RUNNING`` jobs at a time, ``KEEP_PER_USER`` jobs kept per user.

A job is started by :func:`~trialdesk.web.design.actions.do_start_simulation`, which enqueues the
task :data:`run_simulation` in its own transaction, and ended by
:func:`~trialdesk.web.design.actions.do_finish_simulation`, both audited; in between, the task
only moves the row's progress (``_mark``). A worker (``trialdesk worker``, or the one
``trialdesk serve`` starts) runs it; if that worker dies, another runs the task again
(``trialdesk.web.worker.runner``): the chunks already done are read back, not simulated again
(``trialdesk.web.worker.steps``), and the end is recorded once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
import tomllib
from typing import Any

import numpy as np
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from trialdesk.stats.design.simulate import (
    ScenarioResult,
    Tally,
    exact_oc,
    normal_approximation,
    simulate_chunk,
)
from trialdesk.stats.design.spec import SimulationSpec, parse_spec
from trialdesk.web.core.actor import actor_for
from trialdesk.web.design.actions import KEEP_PER_USER as KEEP_PER_USER  # the pages read it here
from trialdesk.web.design.actions import chunk_sizes, do_finish_simulation, do_start_simulation
from trialdesk.web.design.models import SimulationJob
from trialdesk.web.worker import jobs as worker_jobs
from trialdesk.web.worker.jobs import retrying
from trialdesk.web.worker.jobs import worker_alive as worker_alive  # the pages read it here
from trialdesk.web.worker.steps import done_steps, forget, step

MAX_SIMS = 500_000
MAX_SCENARIOS = 10
MAX_PARTICIPANTS = 5_000
MAX_RUNNING = 2
# A job whose row has not moved for this long no longer counts against MAX_RUNNING.
STALE_AFTER = dt.timedelta(minutes=10)
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


def task_of(job: SimulationJob) -> DBTaskResult | None:
    """The task row that runs ``job`` (None once pruned, or for a job enqueued by no one)."""
    return DBTaskResult.objects.filter(task_path=run_simulation.module_path,
                                       args_kwargs__args__0=str(job.pk)).order_by(
        "-enqueued_at").first()


def is_stale(job: SimulationJob) -> bool:
    """Return True if the job says it runs but no task will end it: its task ended without
    recording the job's end (it failed, or its worker died too often), or there is none."""
    if job.state not in (SimulationJob.QUEUED, SimulationJob.RUNNING):
        return False
    row = task_of(job)
    return row is None or row.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


def create_simulation_job_for(*, owner: Any, spec_text: str, spec: SimulationSpec, sims: int,
                             seed: int | None) -> SimulationJob:
    """Start a job for a user rather than an Actor: :func:`do_start_simulation`, audited.

    Writes nothing itself; it resolves the user's role (which must allow the design pages).
    """
    return do_start_simulation(actor_for(owner), spec_text=spec_text, spec=spec, sims=sims,
                               seed=seed)


@task()
def run_simulation(job_id: str) -> None:
    """The background task of one job (enqueued by ``do_start_simulation``)."""
    run_job(job_id)


def _dump_tally(tally: Tally) -> dict[str, Any]:
    return {"n": tally.n, "upper": tally.upper.tolist(), "lower": tally.lower.tolist(),
            "reject_ignoring_futility": tally.reject_ignoring_futility,
            "sum_analysed": tally.sum_analysed, "sum_analysed_sq": tally.sum_analysed_sq,
            "sum_enrolled": tally.sum_enrolled, "sum_duration": tally.sum_duration}


def _load_tally(value: dict[str, Any]) -> Tally:
    # JSON keeps a float's shortest repr, which reads back to the same float: a chunk read back
    # adds up to exactly the numbers of one computed now
    return Tally(n=value["n"], upper=np.asarray(value["upper"], dtype=np.int64),
                 lower=np.asarray(value["lower"], dtype=np.int64),
                 reject_ignoring_futility=value["reject_ignoring_futility"],
                 sum_analysed=value["sum_analysed"], sum_analysed_sq=value["sum_analysed_sq"],
                 sum_enrolled=value["sum_enrolled"], sum_duration=value["sum_duration"])


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
    """Simulate the job's SPEC chunk by chunk, saving progress, then record its end; never raises
    (but a worker's shutdown, a BaseException, goes through: the task is then run again).

    The end (done or failed) is :func:`do_finish_simulation`, audited with the actor "system".
    Run again (its worker died), it reads back the chunks already done; a job that has ended, or
    was forgotten, is left alone.
    """
    close_old_connections()
    key = f"simulation:{job_id}"
    try:
        try:
            job = SimulationJob.objects.filter(pk=job_id).first()
            if job is None or job.state in (SimulationJob.DONE, SimulationJob.FAILED):
                forget(key)
                return
            spec = load_spec_text(job.spec_toml)
            _mark(job_id, state=SimulationJob.RUNNING)
            started = time.perf_counter()
            sizes = chunk_sizes(job.sims, job.chunk)
            root = np.random.SeedSequence(job.seed)
            done = done_steps(key)
            tallies: list[Tally] = []
            for scenario, seeds in zip(spec.scenarios, root.spawn(len(spec.scenarios)),
                                       strict=True):
                for size, child in zip(sizes, seeds.spawn(len(sizes)), strict=True):
                    tallies.append(step(
                        key, len(tallies),
                        lambda scenario=scenario, size=size, child=child: simulate_chunk(
                            spec, scenario, size, child),
                        dump=_dump_tally, load=_load_tally, done=done))
                    _mark(job_id, chunks_done=len(tallies))
            result = results_of(spec, tallies, len(sizes))
            seconds = time.perf_counter() - started
            retrying(lambda: do_finish_simulation(job_id, state=SimulationJob.DONE,
                                                  result=result, seconds=seconds))
        except Exception as error:  # the job row reports whatever went wrong
            failure = str(error)[:2000]
            retrying(lambda: do_finish_simulation(job_id, state=SimulationJob.FAILED,
                                                  error=failure))
    except Exception:
        # the end cannot be recorded: the row goes stale and is shown failed after STALE_AFTER
        log.exception("simulation %s ended and could not be marked", job_id)
        raise  # the task fails, and the page shows the job failed (is_stale)
    else:
        forget(key)  # the end is recorded: its steps are no longer needed
    finally:
        connection.close()


def _mark(job_id: Any, **fields: Any) -> None:
    """Move the job's progress (running, chunks done): a tick per chunk, not audited."""
    worker_jobs.mark_progress(SimulationJob, job_id, **fields)
