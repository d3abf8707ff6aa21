"""Vectorized simulation of time-to-event trials analysed with the log-rank test.

Every trial of a batch is one row: entry times from Poisson accrual, arms from the
randomization, exponential event times (control hazard ``log 2 / median``, treatment hazard
times the hazard ratio) and exponential dropout. Look ``k`` happens at the calendar time of the
``d_k``-th event; there the log-rank statistic of every row is computed at once from the rows'
sorted follow-up times (at-risk counts by reverse cumulative sums; continuous times have no ties).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .spec import DAYS_PER_MONTH, Scenario, SimulationSpec

_MAX_CELLS = 2_000_000  # rows x participants per batch: bounds memory to a few hundred MB


def arm_matrix(rng: np.random.Generator, spec: SimulationSpec, size: int) -> NDArray[np.bool_]:
    """Treatment indicator of each participant (rows: trials), in order of randomization."""
    n = spec.n_max
    if spec.procedure is not None:
        return spec.procedure.simulate(n, size, rng) == 1
    if spec.randomization == "simple":
        return rng.random((size, n)) < spec.treatment_share
    if spec.randomization == "block":
        bs = spec.block_size
        per_block = bs * spec.allocation[1] // sum(spec.allocation)
        blocks = -(-n // bs)
        content = np.zeros(bs, dtype=bool)
        content[:per_block] = True
        order = np.argsort(rng.random((size, blocks, bs)), axis=2)
        return content[order].reshape(size, blocks * bs)[:, :n]
    i = np.arange(1, n + 1)
    share = spec.treatment_share
    fixed = np.floor(i * share + 0.5) > np.floor((i - 1) * share + 0.5)
    return np.broadcast_to(fixed, (size, n))


def logrank_z(
    times: NDArray[np.float64], events: NDArray[np.bool_], treat: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Log-rank z per row, positive when the treatment arm has fewer events than expected.

    Participants not yet in the trial are given a negative time and no event: they sort first
    and are never in a later risk set.
    """
    n = times.shape[1]
    order = np.argsort(times, axis=1)
    d = np.take_along_axis(events, order, axis=1)
    g = np.take_along_axis(treat, order, axis=1).astype(float)
    at_risk = (n - np.arange(n)).astype(float)
    at_risk_t = np.cumsum(g[:, ::-1], axis=1)[:, ::-1]
    frac = at_risk_t / at_risk
    observed_minus_expected = np.where(d, g - frac, 0.0).sum(axis=1)
    variance = np.where(d, frac * (1.0 - frac), 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, -observed_minus_expected / np.sqrt(variance), 0.0)
    return z


def _batch(
    rng: np.random.Generator, spec: SimulationSpec, scenario: Scenario, size: int
) -> tuple[NDArray, ...]:
    assert spec.event_looks is not None  # noqa: S101 - parse_spec sets it for survival
    n = spec.n_max
    k = spec.event_looks.size
    entry = np.cumsum(rng.exponential(1.0 / (spec.accrual_per_day * DAYS_PER_MONTH), (size, n)), 1)
    treat = np.asarray(arm_matrix(rng, spec, size))
    lam = math.log(2) / scenario.median_control
    hazard = np.where(treat, lam * scenario.hazard_ratio, lam)
    event_time = rng.standard_exponential((size, n)) / hazard
    if spec.dropout_hazard_per_month > 0:
        dropout_time = rng.standard_exponential((size, n)) / spec.dropout_hazard_per_month
    else:
        dropout_time = np.full((size, n), np.inf)
    calendar = np.where(event_time <= dropout_time, entry + event_time, np.inf)
    ordered = np.sort(calendar, axis=1)
    last_event = np.where(np.isfinite(ordered), ordered, -np.inf).max(axis=1)
    z = np.empty((size, k))
    analysed = np.empty((size, k))
    enrolled = np.empty((size, k))
    days = np.empty((size, k))
    for j, d_k in enumerate(spec.event_looks):
        # Look at the d_k-th event; a trial that never gets there looks after its last event.
        tau = ordered[:, d_k - 1]
        tau = np.where(np.isfinite(tau), tau, last_event)[:, None]
        in_trial = entry <= tau
        follow = tau - entry
        censor = np.minimum(dropout_time, follow)
        observed = (event_time <= censor) & in_trial
        times = np.where(in_trial, np.minimum(event_time, censor), -1.0)
        z[:, j] = logrank_z(times, observed, treat)
        analysed[:, j] = observed.sum(axis=1)
        enrolled[:, j] = in_trial.sum(axis=1)
        days[:, j] = tau[:, 0] * DAYS_PER_MONTH
    return z, analysed, enrolled, days


def simulate_survival(
    rng: np.random.Generator, spec: SimulationSpec, scenario: Scenario, size: int
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """z, events analysed, participants enrolled and calendar day of each look (trials x looks)."""
    rows = max(1, _MAX_CELLS // spec.n_max)
    parts = [_batch(rng, spec, scenario, min(rows, size - start)) for start in range(0, size, rows)]
    z, analysed, enrolled, days = (np.concatenate(p) for p in zip(*parts, strict=True))
    return z, analysed, enrolled, days
