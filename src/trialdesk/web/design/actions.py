"""The writers of simulation jobs: a statistician starts one, a background task finishes it.

A job holds a design computation, never trial data, but who ran which SPEC (and what it gave) is
part of the trial's record all the same: starting, forgetting and finishing a job are audited
(model ``simulation_job``, the job's id). The worker's progress updates are not: see
``jobs._mark``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from trialdesk.stats.design.simulate import DEFAULT_CHUNK
from trialdesk.stats.design.spec import SimulationSpec
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.permissions import USE_DESIGN
from trialdesk.web.design.models import SimulationJob

KEEP_PER_USER = 10
# The finishing writer is the server's background worker, not a person.
SYSTEM = "system"
# Arrays per chunk grow with chunk x participants; keep one chunk near 20 million cells.
_CELLS_PER_CHUNK = 20_000_000


def chunk_size(spec: SimulationSpec) -> int:
    """The core's default chunk, smaller for large trials so that memory stays bounded."""
    return max(1_000, min(DEFAULT_CHUNK, _CELLS_PER_CHUNK // max(spec.n_max, 1)))


def chunk_sizes(total: int, chunk: int) -> list[int]:
    """The sizes of the chunks ``total`` simulated trials are run in."""
    return [min(chunk, total - start) for start in range(0, total, chunk)]


def _digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@action(USE_DESIGN)
def do_start_simulation(actor: Actor, *, spec_text: str, spec: SimulationSpec, sims: int,
                        seed: int | None) -> SimulationJob:
    """Store a queued job of ``actor``'s, and forget their oldest beyond ``KEEP_PER_USER``.

    The audit record summarizes the SPEC (name, endpoint, scenarios, participants) and keeps its
    SHA-256, with the number of simulated trials and the seed: enough to tell which SPEC ran and
    to reproduce its numbers. The job's task (``jobs.run_simulation``) is enqueued in the same
    transaction: it exists exactly when the job does, and a worker reads a committed row.
    """
    from trialdesk.web.design.jobs import run_simulation  # jobs imports this module

    chunk = chunk_size(spec)
    if seed is None:
        # a seed is always recorded, so that every result on the page can be reproduced
        seed = spec.seed if spec.seed is not None else secrets.randbelow(2**31)
    owner = actor.user
    job = SimulationJob.objects.create(
        owner=owner, name=spec.name[:200], spec_toml=spec_text, sims=sims, seed=seed,
        chunk=chunk, chunks_total=len(spec.scenarios) * len(chunk_sizes(sims, chunk)))
    append_audit(actor=actor.username, action="start_simulation", model="simulation_job",
                 object_id=str(job.pk), changes={
                     "name": {"old": None, "new": job.name},
                     "endpoint": {"old": None, "new": spec.endpoint},
                     "scenarios": {"old": None, "new": [s.name for s in spec.scenarios]},
                     "participants": {"old": None, "new": spec.n_max},
                     "spec_sha256": {"old": None, "new": _digest(spec_text)},
                     "sims": {"old": None, "new": sims},
                     "seed": {"old": None, "new": seed},
                 })
    old = list(SimulationJob.objects.filter(owner=owner).values_list("pk", "state")[
        KEEP_PER_USER:])
    for pk, state in old:
        append_audit(actor=actor.username, action="forget_simulation", model="simulation_job",
                     object_id=str(pk), changes={"state": {"old": state, "new": None}})
    SimulationJob.objects.filter(pk__in=[pk for pk, _ in old]).delete()
    run_simulation.enqueue(str(job.pk))
    return job


@action(None)
def do_finish_simulation(job_id: Any, *, state: str, result: dict[str, Any] | None = None,
                         error: str = "", seconds: float | None = None) -> SimulationJob | None:
    """Record a job's end (``done`` with its result, or ``failed`` with the error), audited.

    The actor is "system": the worker thread ends the job, not the statistician who started it.
    The audit record keeps the result's SHA-256 (the row can then be checked against it) or the
    error. A job forgotten meanwhile, or already ended, is left alone and nothing is recorded.
    """
    if state not in (SimulationJob.DONE, SimulationJob.FAILED):
        raise ValueError(f"a job ends done or failed, not {state!r}")
    job = SimulationJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state in (SimulationJob.DONE, SimulationJob.FAILED):
        return None
    changes: dict[str, dict[str, Any]] = {"state": {"old": job.state, "new": state}}
    if state == SimulationJob.DONE:
        changes["result_sha256"] = {"old": None, "new": _digest(result)}
    else:
        changes["error"] = {"old": job.error or None, "new": error}
    job.state, job.result, job.error, job.seconds = state, result, error, seconds
    job.save(update_fields=["state", "result", "error", "seconds", "updated_at"])
    append_audit(actor=SYSTEM, action="finish_simulation", model="simulation_job",
                 object_id=str(job.pk), changes=changes)
    return job
