"""Simulation of a group-sequential trial's operating characteristics, vectorized across trials.

Each chunk of trials is simulated with array operations (no loop over trials): per look, the new
participants' allocation, missing outcomes and outcomes are drawn for every trial at once, the
z-statistics of all trials at all looks form one array, and the first boundary crossing is found
with ``argmax``. Chunks get independent random streams spawned from one ``SeedSequence``, so a seed
gives the same results whatever the number of worker processes. :func:`simulate_trial_loop` is the
straightforward per-trial, per-participant reference used by the benchmark and the tests.

The statistic is the pooled-variance z for a binary endpoint and the known-sd z for a normal one,
oriented so that positive values favour treatment (see :mod:`.spec` for the SPEC format).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from tqdm import tqdm

from .exact_binary import ExactBinaryOC, binary_exact_oc, score_z
from .numint import CrossingProbabilities, crossing_probabilities
from .spec import Scenario, SimulationSpec
from .survival_sim import simulate_survival

DEFAULT_CHUNK = 100_000


def _block_treatment_counts(
    rng: np.random.Generator, spec: SimulationSpec, size: int
) -> NDArray[np.int64]:
    """Cumulative treatment counts at each look under permuted blocks (consistent across looks)."""
    bs = spec.block_size
    per_block = bs * spec.allocation[1] // sum(spec.allocation)
    out = np.empty((size, spec.participants.size), dtype=np.int64)
    prev_block, prev_s = -1, 0
    partial = np.zeros(size, dtype=np.int64)
    for k, n in enumerate(spec.participants):
        block, s = divmod(int(n), bs)
        if block == prev_block:
            # Still inside the block that was partly filled at the last look: draw the rest of it.
            good = per_block - partial
            bad = (bs - per_block) - (prev_s - partial)
            partial = partial + rng.hypergeometric(good, bad, s - prev_s) if s > prev_s else partial
        elif s:
            partial = rng.hypergeometric(per_block, bs - per_block, s, size=size)
        else:
            partial = np.zeros(size, dtype=np.int64)
        out[:, k] = block * per_block + partial
        prev_block, prev_s = block, s
    return out


def _treatment_counts(rng: np.random.Generator, spec: SimulationSpec, size: int) -> NDArray | None:
    """Cumulative treatment counts (trials x looks); None when they are the same in every trial."""
    if spec.deterministic_arms():
        return None
    if spec.procedure is not None:
        # Whole allocation sequences from the randomization package, vectorized across trials;
        # arm index 1 is the treatment arm (allocation = [control, treatment]).
        arms = spec.procedure.simulate(spec.n_max, size, rng)
        return np.cumsum(arms == 1, axis=1)[:, spec.participants - 1]
    if spec.randomization == "simple":
        inc = np.diff(spec.participants, prepend=0)
        draws = rng.binomial(inc, spec.treatment_share, size=(size, inc.size))
        return np.cumsum(draws, axis=1)
    return _block_treatment_counts(rng, spec, size)


def _cumulative(
    rng: np.random.Generator, n_inc: NDArray | np.integer, p: float, size: int, k: int
) -> NDArray:
    """Cumulative binomial sums over looks; ``n_inc`` is per look or trials x looks."""
    n_inc = np.asarray(n_inc)
    if n_inc.ndim == 1:
        draws = np.empty((size, k), dtype=np.int64)
        for j in range(k):
            draws[:, j] = rng.binomial(n_inc[j], p, size=size)
    else:
        draws = rng.binomial(n_inc, p)
    return np.cumsum(draws, axis=1)


def _z_binary_fixed_arms(
    rng: np.random.Generator, spec: SimulationSpec, scenario: Scenario, size: int
) -> NDArray:
    """z for fixed arm sizes and complete outcomes: one uniform per trial and look.

    The new events in both arms at a look are drawn together by inverting the CDF of their joint
    (independent binomial) distribution, and the z of the cumulative counts is looked up in a
    per-look table: the same model as the general path, at about a third of its cost.
    """
    k = spec.participants.size
    n_t = spec.fixed_treatment_counts()
    n_c = spec.participants - n_t
    x_c = np.zeros(size, dtype=np.int64)
    x_t = np.zeros(size, dtype=np.int64)
    z = np.empty((size, k))
    prev_c = prev_t = 0
    for j in range(k):
        m_c, m_t = int(n_c[j] - prev_c), int(n_t[j] - prev_t)
        pmf_c = stats.binom.pmf(np.arange(m_c + 1), m_c, scenario.p_control)
        pmf_t = stats.binom.pmf(np.arange(m_t + 1), m_t, scenario.p_treatment)
        cdf = np.cumsum(np.outer(pmf_c, pmf_t).ravel())
        cdf /= cdf[-1]
        idx = np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), cdf.size - 1)
        inc_c, inc_t = np.divmod(idx, m_t + 1)
        x_c += inc_c
        x_t += inc_t
        table = score_z(
            np.arange(n_c[j] + 1)[:, None],
            n_c[j],
            np.arange(n_t[j] + 1)[None, :],
            n_t[j],
            spec.benefit,
        ).ravel()
        z[:, j] = table[x_c * (n_t[j] + 1) + x_t]
        prev_c, prev_t = n_c[j], n_t[j]
    return z


def _z_statistics(
    rng: np.random.Generator, spec: SimulationSpec, scenario: Scenario, size: int
) -> tuple[NDArray, NDArray]:
    """z (trials x looks) and participants with an outcome per look (trials x looks or looks)."""
    k = spec.participants.size
    if spec.endpoint == "binary" and spec.dropout == 0 and spec.deterministic_arms():
        return _z_binary_fixed_arms(rng, spec, scenario, size), spec.participants
    t_cum = _treatment_counts(rng, spec, size)
    if t_cum is None:
        t_cum_1d = spec.fixed_treatment_counts()
        n_t_inc: NDArray = np.diff(t_cum_1d, prepend=0)
        n_c_inc: NDArray = np.diff(spec.participants - t_cum_1d, prepend=0)
    else:
        n_t_inc = np.diff(t_cum, axis=1, prepend=0)
        n_c_inc = np.diff(spec.participants[None, :] - t_cum, axis=1, prepend=0)
    if spec.dropout > 0:
        keep = 1.0 - spec.dropout
        n_t_inc = rng.binomial(np.broadcast_to(n_t_inc, (size, k)), keep)
        n_c_inc = rng.binomial(np.broadcast_to(n_c_inc, (size, k)), keep)
    n_t = np.cumsum(n_t_inc, axis=-1)
    n_c = np.cumsum(n_c_inc, axis=-1)
    if spec.endpoint == "binary":
        x_t = _cumulative(rng, n_t_inc, scenario.p_treatment, size, k)
        x_c = _cumulative(rng, n_c_inc, scenario.p_control, size, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = score_z(x_c, n_c, x_t, n_t, spec.benefit)
        z = np.where((n_c > 0) & (n_t > 0), z, 0.0)
    else:
        sd = scenario.sd

        def sums(n_inc: NDArray, mean: float) -> NDArray:
            n_inc = np.broadcast_to(n_inc, (size, k))
            return np.cumsum(
                mean * n_inc + sd * np.sqrt(n_inc) * rng.standard_normal((size, k)), axis=1
            )

        with np.errstate(divide="ignore", invalid="ignore"):
            diff = (
                sums(n_t_inc, scenario.mean_treatment) / n_t
                - sums(n_c_inc, scenario.mean_control) / n_c
            )
            z = diff / (sd * np.sqrt(1.0 / n_c + 1.0 / n_t))
        z = np.where((n_c > 0) & (n_t > 0), z, 0.0)
        if spec.benefit == "lower":
            z = -z
    return z, n_c + n_t


@dataclass
class Tally:
    """Sums over simulated trials; chunks add up."""

    n: int
    upper: NDArray[np.int64]
    lower: NDArray[np.int64]
    reject_ignoring_futility: int
    sum_analysed: float
    sum_analysed_sq: float
    sum_enrolled: float
    sum_duration: float

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.n + other.n,
            self.upper + other.upper,
            self.lower + other.lower,
            self.reject_ignoring_futility + other.reject_ignoring_futility,
            self.sum_analysed + other.sum_analysed,
            self.sum_analysed_sq + other.sum_analysed_sq,
            self.sum_enrolled + other.sum_enrolled,
            self.sum_duration + other.sum_duration,
        )


def simulate_chunk(
    spec: SimulationSpec, scenario: Scenario, size: int, seed: np.random.SeedSequence | int
) -> Tally:
    """Simulate ``size`` trials at once and return their tally."""
    rng = np.random.default_rng(seed)
    k = spec.participants.size
    b = spec.bounds
    timing = None
    if spec.endpoint == "survival":
        z, analysed, enrolled_k, days_k = simulate_survival(rng, spec, scenario, size)
        timing = (enrolled_k, days_k)
    else:
        z, analysed = _z_statistics(rng, spec, scenario, size)
    # The same hair of tolerance as the exact enumeration, so that lattice ties agree.
    up = z >= b.upper - 1e-12
    lo = z <= b.lower + 1e-12
    stop = up | lo
    stop[:, -1] = True
    first = np.argmax(stop, axis=1)
    rows = np.arange(size)
    hit_up = up[rows, first]
    hit_lo = lo[rows, first] & ~hit_up
    upper = np.bincount(first[hit_up], minlength=k)
    lower = np.bincount(first[hit_lo], minlength=k)
    # Non-binding futility: the type I error counts rejections as if futility were ignored.
    ignoring = int(np.count_nonzero(up.any(axis=1))) if b.futility else int(upper.sum())
    n_stop = analysed[rows, first] if analysed.ndim == 2 else analysed[first]
    n_stop = n_stop.astype(float)
    enrolled_sum = float(spec.participants[first].sum())
    duration_sum = 0.0
    if timing is not None:
        enrolled_sum = float(timing[0][rows, first].sum())
        duration_sum = float(timing[1][rows, first].sum())
    elif spec.accrual_per_day > 0:
        # Poisson accrual: time of the N_k-th randomization, then the follow-up; participants
        # randomized during that follow-up (capped at the maximum) are the overrun.
        n_look = spec.participants[first]
        scale = 1.0 / spec.accrual_per_day
        t_enrol = rng.gamma(n_look, scale)
        overrun = rng.poisson(spec.accrual_per_day * spec.followup_days, size=size)
        enrolled = np.minimum(n_look + overrun, spec.n_max)
        enrolled_sum = float(enrolled.sum())
        duration_sum = float((t_enrol + spec.followup_days).sum())
    return Tally(
        n=size,
        upper=upper.astype(np.int64),
        lower=lower.astype(np.int64),
        reject_ignoring_futility=ignoring,
        sum_analysed=float(n_stop.sum()),
        sum_analysed_sq=float((n_stop**2).sum()),
        sum_enrolled=enrolled_sum,
        sum_duration=duration_sum,
    )


def _chunk_job(args: tuple[SimulationSpec, Scenario, int, np.random.SeedSequence]) -> Tally:
    return simulate_chunk(*args)


@dataclass
class ScenarioResult:
    scenario: Scenario
    tally: Tally
    exact: ExactBinaryOC | None
    normal_approximation: CrossingProbabilities | None

    @property
    def rejection_probability(self) -> float:
        return float(self.tally.upper.sum() / self.tally.n)

    @property
    def standard_error(self) -> float:
        p = self.rejection_probability
        return math.sqrt(p * (1 - p) / self.tally.n)

    def to_dict(self, spec: SimulationSpec) -> dict[str, Any]:
        t = self.tally
        mean_n = t.sum_analysed / t.n
        out: dict[str, Any] = {
            "name": self.scenario.name,
            "sims": t.n,
            "rejection_probability": self.rejection_probability,
            "standard_error": self.standard_error,
            "stop_upper_by_look": (t.upper / t.n).tolist(),
            "stop_lower_by_look": (t.lower / t.n).tolist(),
            "expected_n_analysed": mean_n,
            "sd_n_analysed": math.sqrt(max(t.sum_analysed_sq / t.n - mean_n**2, 0.0)),
            "expected_n_enrolled": t.sum_enrolled / t.n,
        }
        if spec.endpoint == "binary":
            out["p_control"] = self.scenario.p_control
            out["p_treatment"] = self.scenario.p_treatment
        elif spec.endpoint == "survival":
            out["median_control"] = self.scenario.median_control
            out["hazard_ratio"] = self.scenario.hazard_ratio
        else:
            out["mean_control"] = self.scenario.mean_control
            out["mean_treatment"] = self.scenario.mean_treatment
            out["sd"] = self.scenario.sd
        if spec.bounds.futility:
            out["rejection_probability_ignoring_futility"] = t.reject_ignoring_futility / t.n
        if spec.accrual_per_day > 0:
            out["expected_duration_days"] = t.sum_duration / t.n
        if self.exact is not None:
            out["exact"] = self.exact.to_dict()
        if self.normal_approximation is not None:
            na = self.normal_approximation
            out["normal_approximation"] = {
                "rejection_probability": float(na.upper.sum()),
                "upper": na.upper.tolist(),
                "lower": na.lower.tolist(),
            }
        return out


def exact_oc(spec: SimulationSpec, scenario: Scenario) -> ExactBinaryOC | None:
    """Exact operating characteristics where they apply (binary, fixed arm sizes, no dropout)."""
    if spec.endpoint != "binary" or spec.dropout > 0 or not spec.deterministic_arms():
        return None
    n_t = spec.fixed_treatment_counts()
    n_c = spec.participants - n_t
    b = spec.bounds
    return binary_exact_oc(
        n_c,
        n_t,
        scenario.p_control,
        scenario.p_treatment,
        b.upper,
        b.lower if b.futility else None,
        sided=1 if b.futility else b.sided,
        benefit=spec.benefit,
    )


def normal_approximation(spec: SimulationSpec, scenario: Scenario) -> CrossingProbabilities:
    """Exit probabilities from the canonical normal approximation (expected arm sizes)."""
    share = spec.treatment_share
    n_max = spec.n_max * (1 - spec.dropout)
    n_t, n_c = n_max * share, n_max * (1 - share)
    if spec.endpoint == "survival":
        # Schoenfeld: the log-rank z has mean -log(HR) sqrt(d p (1 - p)) with d events.
        assert spec.event_looks is not None  # noqa: S101 - set for survival by parse_spec
        d = float(spec.event_looks[-1])
        drift = -math.log(scenario.hazard_ratio) * math.sqrt(d * share * (1 - share))
        return crossing_probabilities(
            spec.information_rates, spec.bounds.upper, spec.bounds.lower, drift
        )
    if spec.endpoint == "binary":
        pc, pt = scenario.p_control, scenario.p_treatment
        sd = math.sqrt(pc * (1 - pc) / n_c + pt * (1 - pt) / n_t)
        gain = pc - pt  # positive when the treatment arm has fewer events
    else:
        sd = scenario.sd * math.sqrt(1 / n_c + 1 / n_t)
        gain = scenario.mean_control - scenario.mean_treatment
    if spec.benefit == "higher":
        gain = -gain
    drift = gain / sd if sd > 0 else 0.0
    t = spec.participants / spec.n_max
    return crossing_probabilities(t, spec.bounds.upper, spec.bounds.lower, drift)


def _chunks(total: int, chunk: int) -> Iterator[int]:
    while total > 0:
        yield min(chunk, total)
        total -= chunk


def simulate(
    spec: SimulationSpec,
    sims: int = 100_000,
    *,
    seed: int | None = None,
    workers: int = 1,
    chunk: int = DEFAULT_CHUNK,
    progress: bool = True,
    client: Any | None = None,
) -> list[ScenarioResult]:
    """Simulate every scenario of ``spec`` ``sims`` times; add exact and approximate results.

    ``client``: a ``dask.distributed`` client whose workers run the chunks instead of this process
    (``workers`` is then ignored). The seed tree is the same, and the chunks are summed in the
    same order, so the results are bit-identical to a run in this process.
    """
    if sims < 1:
        raise ValueError("sims must be >= 1")
    seed = spec.seed if seed is None else seed
    root = np.random.SeedSequence(seed)
    sizes = list(_chunks(sims, chunk))
    scenario_seeds = root.spawn(len(spec.scenarios))
    jobs = [
        (spec, scenario, size, child)
        for scenario, ss in zip(spec.scenarios, scenario_seeds, strict=True)
        for size, child in zip(sizes, ss.spawn(len(sizes)), strict=True)
    ]
    bar = tqdm(total=len(jobs), desc="simulating", unit="chunk", disable=not progress, leave=False)
    tallies: list[Tally] = []
    if client is not None:
        futures = client.map(_chunk_job, jobs, pure=False)
        try:
            # In submission order: summing the tallies in another order could change the last bit.
            for future in futures:
                tallies.append(future.result())
                bar.update()
        finally:
            # A failure (or Ctrl-C) leaves nothing running on a shared cluster.
            client.cancel([f for f in futures if not f.done()])
    elif workers > 1:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            for tally in pool.map(_chunk_job, jobs):
                tallies.append(tally)
                bar.update()
    else:
        for job in jobs:
            tallies.append(_chunk_job(job))
            bar.update()
    bar.close()
    results = []
    per = len(sizes)
    for i, scenario in enumerate(spec.scenarios):
        total = tallies[i * per]
        for tally in tallies[i * per + 1 : (i + 1) * per]:
            total = total + tally
        results.append(
            ScenarioResult(
                scenario, total, exact_oc(spec, scenario), normal_approximation(spec, scenario)
            )
        )
    return results


def simulate_trial_loop(
    spec: SimulationSpec, scenario: Scenario, rng: np.random.Generator
) -> tuple[int, str]:
    """Simulate one trial participant by participant (the plain-Python reference).

    Returns ``(look index, "upper" | "lower" | "none")``.
    """
    if spec.endpoint == "survival":
        raise ValueError("the per-trial reference covers the binary and normal endpoints")
    share = spec.treatment_share
    per_block = spec.block_size * spec.allocation[1] // sum(spec.allocation)
    block: list[int] = []
    counts = {"n_c": 0, "n_t": 0, "s_c": 0.0, "s_t": 0.0}
    looks = list(spec.participants)
    b = spec.bounds
    look = 0
    sequence = None
    if spec.procedure is not None:
        sequence = spec.procedure.simulate(spec.n_max, 1, rng)[0]
    for i in range(1, spec.n_max + 1):
        if sequence is not None:
            treat = bool(sequence[i - 1] == 1)
        elif spec.randomization == "simple":
            treat = rng.random() < share
        elif spec.randomization == "block":
            if not block:
                block = [1] * per_block + [0] * (spec.block_size - per_block)
                rng.shuffle(block)
            treat = bool(block.pop())
        else:
            treat = math.floor(i * share + 0.5) > math.floor((i - 1) * share + 0.5)
        if spec.dropout and rng.random() < spec.dropout:
            pass
        else:
            arm = "t" if treat else "c"
            if spec.endpoint == "binary":
                p = scenario.p_treatment if treat else scenario.p_control
                y = float(rng.random() < p)
            else:
                mean = scenario.mean_treatment if treat else scenario.mean_control
                y = rng.normal(mean, scenario.sd)
            counts["n_" + arm] += 1
            counts["s_" + arm] += y
        if i == looks[look]:
            n_c, n_t = counts["n_c"], counts["n_t"]
            z = 0.0
            if n_c and n_t:
                if spec.endpoint == "binary":
                    z = float(score_z(counts["s_c"], n_c, counts["s_t"], n_t, spec.benefit))
                else:
                    d = counts["s_t"] / n_t - counts["s_c"] / n_c
                    z = d / (scenario.sd * math.sqrt(1 / n_c + 1 / n_t))
                    z = -z if spec.benefit == "lower" else z
            if z >= b.upper[look] - 1e-12:
                return look, "upper"
            if z <= b.lower[look] + 1e-12:
                return look, "lower"
            look += 1
    return len(looks) - 1, "none"
