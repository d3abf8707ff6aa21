"""BOP2: Bayesian optimal phase II design monitoring efficacy and toxicity together.

Zhou, Lee and Yuan (2017), "BOP2: Bayesian optimal design for phase II clinical trials with
simple and complex endpoints", Statistics in Medicine 36:3302-3314.

Each participant falls in one of four cells, in this order throughout:
``(efficacy & toxicity, efficacy & no toxicity, no efficacy & toxicity, neither)``. The cell
probabilities get a Dirichlet prior (by default the null cell probabilities with a prior
effective sample size of 1, as in the paper), so the marginal posteriors of the efficacy rate
``p_E`` and of the toxicity rate ``p_T`` are Beta (sums of Dirichlet cells are Beta). At a look
with ``n`` participants the trial stops

- for futility if ``Pr(p_E <= phi_E | data) > C(n)``,
- for toxicity if ``Pr(p_T > phi_T | data) > C(n)``,

with ``C(n) = 1 - lambda (n / N)^gamma``; at the last look (``n = N``) the same rule decides
"not promising", otherwise the treatment is declared promising. ``lambda`` and ``gamma`` are
chosen on a grid to maximise the probability of declaring promising under the alternative while
keeping it at most ``alpha`` under the null (the type I error). Because both posterior tail
probabilities are monotone in the counts, each rule is a count boundary: stop if
``#efficacy <= a_n`` or ``#toxicity >= b_n``.

Operating characteristics are exact (dynamic programming over the joint distribution of the two
counts, one participant at a time: the sum over all multinomial paths) or simulated (seeded,
vectorized); a design with only an efficacy endpoint has ``phi_tox = None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

CELLS = ("eff_tox", "eff_no_tox", "no_eff_tox", "neither")
LAMBDA_GRID = np.round(np.arange(0.50, 1.0, 0.005), 4)
GAMMA_GRID = np.round(np.arange(0.0, 3.0001, 0.05), 4)
EXACT_LIMIT = 400  # largest N computed exactly by default (cost ~ N^3)


def cells_from_marginals(p_eff: float, p_tox: float, p_eff_tox: float | None = None
                         ) -> tuple[float, float, float, float]:
    """The four cell probabilities from the two marginal rates (independent if no joint)."""
    joint = p_eff * p_tox if p_eff_tox is None else p_eff_tox
    cells = (joint, p_eff - joint, p_tox - joint, 1.0 - p_eff - p_tox + joint)
    if min(cells) < -1e-12:
        raise ValueError("the joint efficacy-toxicity rate is incompatible with the marginals")
    return tuple(max(c, 0.0) for c in cells)  # type: ignore[return-value]


def _check_cells(cells: Sequence[float], name: str) -> NDArray[np.float64]:
    arr = np.asarray(cells, dtype=float)
    if arr.shape != (4,) or arr.min() < 0 or abs(arr.sum() - 1.0) > 1e-9:
        raise ValueError(f"{name}: give four cell probabilities >= 0 summing to 1")
    return arr


def _check_looks(looks: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(n) for n in looks)
    if not out or out[0] < 1 or any(b <= a for a, b in itertools.pairwise(out)):
        raise ValueError("looks: give increasing cumulative sample sizes >= 1")
    return out


@dataclass(frozen=True)
class Bop2Problem:
    """What the design is asked to do: the looks, the null and the alternative."""

    looks: tuple[int, ...]
    null_cells: tuple[float, float, float, float]
    alt_cells: tuple[float, float, float, float]
    monitor_toxicity: bool = True
    prior_ess: float = 1.0
    prior_cells: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        _check_looks(self.looks)
        _check_cells(self.null_cells, "null")
        _check_cells(self.alt_cells, "alternative")
        if self.prior_ess <= 0:
            raise ValueError("prior effective sample size must be positive")

    @property
    def n_max(self) -> int:
        return self.looks[-1]

    @property
    def phi_eff(self) -> float:
        return self.null_cells[0] + self.null_cells[1]

    @property
    def phi_tox(self) -> float | None:
        return self.null_cells[0] + self.null_cells[2] if self.monitor_toxicity else None

    @property
    def dirichlet(self) -> NDArray[np.float64]:
        base = self.null_cells if self.prior_cells is None else self.prior_cells
        return self.prior_ess * _check_cells(base, "prior")

    def beta_eff(self) -> tuple[float, float]:
        d = self.dirichlet
        return float(d[0] + d[1]), float(d[2] + d[3])

    def beta_tox(self) -> tuple[float, float]:
        d = self.dirichlet
        return float(d[0] + d[2]), float(d[1] + d[3])


def single_endpoint(looks: Sequence[int], p0: float, p1: float, prior_ess: float = 1.0
                    ) -> Bop2Problem:
    """A design on one binary (efficacy) endpoint: prior Beta(p0 * ess, (1 - p0) * ess)."""
    if not (0 < p0 < p1 < 1):
        raise ValueError("need 0 < p0 < p1 < 1")
    return Bop2Problem(_check_looks(looks), (0.0, p0, 0.0, 1 - p0), (0.0, p1, 0.0, 1 - p1),
                       monitor_toxicity=False, prior_ess=prior_ess)


def futility_probability(problem: Bop2Problem, n: int) -> NDArray[np.float64]:
    """Pr(p_E <= phi_E | x efficacies in n) for x = 0..n (closed form: Beta marginal)."""
    a, b = problem.beta_eff()
    x = np.arange(n + 1)
    return stats.beta.cdf(problem.phi_eff, a + x, b + n - x)


def toxicity_probability(problem: Bop2Problem, n: int) -> NDArray[np.float64]:
    """Pr(p_T > phi_T | y toxicities in n) for y = 0..n."""
    if problem.phi_tox is None:
        return np.zeros(n + 1)
    a, b = problem.beta_tox()
    y = np.arange(n + 1)
    return stats.beta.sf(problem.phi_tox, a + y, b + n - y)


def cutoff(n: int | NDArray[Any], n_max: int, lam: float, gamma: float) -> Any:
    """C(n) = 1 - lambda (n / N)^gamma."""
    return 1.0 - lam * (np.asarray(n, dtype=float) / n_max) ** gamma


@dataclass(frozen=True)
class Bop2Boundaries:
    """Stop at look k if #efficacy <= eff_stop[k] or #toxicity >= tox_stop[k].

    ``eff_stop = -1`` means no futility stop is possible at that look; ``tox_stop = n + 1`` no
    toxicity stop.
    """

    looks: tuple[int, ...]
    eff_stop: tuple[int, ...]
    tox_stop: tuple[int, ...]
    cutoffs: tuple[float, ...]

    def rows(self) -> list[dict[str, Any]]:
        return [{"n": n, "cutoff": c, "stop_if_eff_at_most": a, "stop_if_tox_at_least": b}
                for n, c, a, b in zip(self.looks, self.cutoffs, self.eff_stop, self.tox_stop,
                                      strict=True)]


def boundaries(problem: Bop2Problem, lam: float, gamma: float) -> Bop2Boundaries:
    """The count boundaries at each look for one (lambda, gamma)."""
    eff, tox, cuts = [], [], []
    for n in problem.looks:
        c = float(cutoff(n, problem.n_max, lam, gamma))
        fut = futility_probability(problem, n)  # decreasing in x
        eff.append(int(np.count_nonzero(fut > c)) - 1)
        tp = toxicity_probability(problem, n)  # increasing in y
        tox.append(int(n + 1 - np.count_nonzero(tp > c)) if problem.phi_tox is not None
                   else n + 1)
        cuts.append(c)
    return Bop2Boundaries(problem.looks, tuple(eff), tuple(tox), tuple(cuts))


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Probabilities of the trial's outcomes under one scenario (cell probabilities)."""

    cells: tuple[float, ...]
    p_promising: float
    p_stop_by_look: tuple[float, ...]
    p_stop_futility_by_look: tuple[float, ...]
    p_stop_toxicity_by_look: tuple[float, ...]
    expected_n: float
    method: str
    standard_error: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"cells": list(self.cells), "p_promising": self.p_promising,
                "p_early_stop": float(sum(self.p_stop_by_look[:-1])),
                "p_stop_by_look": list(self.p_stop_by_look),
                "p_stop_futility_by_look": list(self.p_stop_futility_by_look),
                "p_stop_toxicity_by_look": list(self.p_stop_toxicity_by_look),
                "expected_n": self.expected_n, "method": self.method,
                "standard_error": self.standard_error}


def _stop_masks(bounds: Bop2Boundaries, k: int, size: int) -> tuple[NDArray, NDArray]:
    counts = np.arange(size)
    fut = (counts <= bounds.eff_stop[k])[:, None] & np.ones(size, bool)[None, :]
    tox = np.ones(size, bool)[:, None] & (counts >= bounds.tox_stop[k])[None, :]
    return fut, tox


def _step(state: NDArray, p: NDArray) -> NDArray:
    """One more participant: state[e, t] is the probability of e efficacies and t toxicities
    (the array is large enough that nothing falls off its edge)."""
    new = p[3] * state
    new[1:, :] += p[1] * state[:-1, :]
    if state.shape[1] > 1:
        new[:, 1:] += p[2] * state[:, :-1]
        new[1:, 1:] += p[0] * state[:-1, :-1]
    return new


def exact_oc(bounds: Bop2Boundaries, cells: Sequence[float]) -> OperatingCharacteristics:
    """Exact operating characteristics: the joint law of (#efficacy, #toxicity) is advanced one
    participant at a time (a sum over every multinomial path), continuing paths masked at each
    look by the stopping rule."""
    p = _check_cells(cells, "scenario")
    n_max = bounds.looks[-1]
    size = n_max + 1
    state = np.zeros((size, size))  # state[e, t]
    state[0, 0] = 1.0
    stop, fut_stop, tox_stop = [], [], []
    n_done = 0
    for k, look in enumerate(bounds.looks):
        for _ in range(look - n_done):
            state = _step(state, p)
        n_done = look
        fut, tox = _stop_masks(bounds, k, size)
        stop.append(float(state[fut | tox].sum()))
        fut_stop.append(float(state[fut].sum()))
        tox_stop.append(float(state[tox].sum()))
        state = np.where(fut | tox, 0.0, state)
    return _summarize(bounds, p, stop, fut_stop, tox_stop, float(state.sum()), "exact")


def simulated_oc(bounds: Bop2Boundaries, cells: Sequence[float], *, sims: int = 100_000,
                 seed: int = 2017) -> OperatingCharacteristics:
    """Simulated operating characteristics (``sims`` trials, reproducible from ``seed``)."""
    p = _check_cells(cells, "scenario")
    rng = np.random.default_rng(seed)
    increments = np.diff((0, *bounds.looks))
    eff = np.zeros(sims, dtype=np.int64)
    tox = np.zeros(sims, dtype=np.int64)
    active = np.ones(sims, dtype=bool)
    stop, fut_stop, tox_stop = [], [], []
    for k, m in enumerate(increments):
        draw = rng.multinomial(m, p, size=sims)
        eff += draw[:, 0] + draw[:, 1]
        tox += draw[:, 0] + draw[:, 2]
        fut = active & (eff <= bounds.eff_stop[k])
        tx = active & (tox >= bounds.tox_stop[k])
        stopped = fut | tx
        stop.append(stopped.mean())
        fut_stop.append(fut.mean())
        tox_stop.append(tx.mean())
        active &= ~stopped
    promising = float(active.mean())
    oc = _summarize(bounds, p, stop, fut_stop, tox_stop, promising,
                    f"simulation ({sims} trials, seed {seed})")
    se = float(np.sqrt(promising * (1 - promising) / sims))
    return OperatingCharacteristics(**{**oc.__dict__, "standard_error": se})


def _summarize(bounds: Bop2Boundaries, p: NDArray, stop: list, fut: list, tox: list,
               promising: float, method: str) -> OperatingCharacteristics:
    stop_before_last = stop[:-1]
    n_max = bounds.looks[-1]
    expected_n = float(sum(s * n for s, n in zip(stop_before_last, bounds.looks, strict=False))
                       + (1 - sum(stop_before_last)) * n_max)
    return OperatingCharacteristics(tuple(float(v) for v in p), promising,
                                    tuple(float(v) for v in stop), tuple(float(v) for v in fut),
                                    tuple(float(v) for v in tox), expected_n, method)


def operating_characteristics(bounds: Bop2Boundaries, cells: Sequence[float], *,
                              method: str = "auto", sims: int = 100_000, seed: int = 2017
                              ) -> OperatingCharacteristics:
    """Exact when small (N <= EXACT_LIMIT) or asked for, simulated otherwise."""
    if method == "exact" or (method == "auto" and bounds.looks[-1] <= EXACT_LIMIT):
        return exact_oc(bounds, cells)
    if method not in ("auto", "simulation"):
        raise ValueError("method: 'auto', 'exact' or 'simulation'")
    return simulated_oc(bounds, cells, sims=sims, seed=seed)


def _stops_many(looks: tuple[int, ...], cells: Sequence[float], keys: list[tuple],
                progress: Callable[[int], None] | None = None) -> dict[tuple, list[float]]:
    """Exact stopping probabilities by look (the last entry: stop at the final look) for many
    boundary sets at once. Designs sorted by their boundaries share the computation of their
    common first looks (a depth-first walk of the prefix tree), and the joint law is carried from
    one look to the next by one convolution with that increment's kernel; the result equals
    :func:`exact_oc` (tested)."""
    from scipy import signal

    p = _check_cells(cells, "scenario")
    width = 1 if p[0] == 0 and p[2] == 0 else None  # no toxicity possible: a 1-D walk
    kernels = []
    for m in np.diff((0, *looks)):
        kernel = np.zeros((m + 1, width or m + 1))
        kernel[0, 0] = 1.0
        for _ in range(m):
            kernel = _step(kernel, p)
        kernels.append(kernel)
    out: dict[tuple, list[float]] = {}
    stack = [kernels[0]]  # stack[k]: the law at look k given the boundaries prefix[:k]
    prefix: list[tuple[int, int]] = []
    for key in sorted(keys, key=lambda key: tuple(zip(*key, strict=True))):
        pairs = list(zip(*key, strict=True))
        common = 0
        while common < min(len(prefix), len(pairs) - 1) and prefix[common] == pairs[common]:
            common += 1
        del stack[common + 1:], prefix[common:]
        for k in range(common, len(pairs) - 1):
            cont = stack[k].copy()
            cont[:pairs[k][0] + 1, :] = 0.0
            cont[:, pairs[k][1]:] = 0.0
            stack.append(np.clip(signal.convolve(cont, kernels[k + 1]), 0.0, None))
            prefix.append(pairs[k])
        stops = []
        for k, (a, b) in enumerate(pairs):
            stops.append(float(stack[k].sum() - stack[k][a + 1:, :b].sum()))
        out[key] = stops
        if progress is not None:
            progress(1)
    return out


@dataclass(frozen=True)
class Bop2Design:
    """A calibrated BOP2 design: lambda, gamma, boundaries and operating characteristics."""

    problem: Bop2Problem
    alpha: float
    lam: float
    gamma: float
    bounds: Bop2Boundaries
    null_oc: OperatingCharacteristics
    alt_oc: OperatingCharacteristics
    candidates: int = field(default=0)

    def summary(self) -> dict[str, Any]:
        pr = self.problem
        return {"looks": list(pr.looks), "phi_eff": pr.phi_eff, "phi_tox": pr.phi_tox,
                "prior_dirichlet": pr.dirichlet.tolist(), "alpha": self.alpha,
                "lambda": self.lam, "gamma": self.gamma, "boundaries": self.bounds.rows(),
                "type_i_error": self.null_oc.p_promising, "power": self.alt_oc.p_promising,
                "null": self.null_oc.summary(), "alternative": self.alt_oc.summary(),
                "distinct_designs_searched": self.candidates}


def calibrate(problem: Bop2Problem, alpha: float = 0.1, *,
              lambdas: Sequence[float] = LAMBDA_GRID, gammas: Sequence[float] = GAMMA_GRID,
              progress: Callable[[int, int], None] | None = None) -> Bop2Design:
    """Grid search: the (lambda, gamma) of greatest power with type I error <= alpha (exact
    OCs); ties go to the smaller expected sample size under the null, then the first found.
    ``progress(done, total)`` is called as distinct boundary sets are evaluated."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    n_max = problem.n_max
    fut = [futility_probability(problem, n) for n in problem.looks]
    tox = [toxicity_probability(problem, n) for n in problem.looks]
    lam = np.asarray(lambdas, dtype=float)[:, None]
    gam = np.asarray(gammas, dtype=float)[None, :]
    grid: list[tuple[float, float, tuple]] = []
    cut_by_look = [1.0 - lam * (n / n_max) ** gam for n in problem.looks]
    for i, lv in enumerate(lam[:, 0]):
        for j, gv in enumerate(gam[0]):
            eff_b, tox_b = [], []
            for k, n in enumerate(problem.looks):
                c = cut_by_look[k][i, j]
                eff_b.append(int(np.count_nonzero(fut[k] > c)) - 1)
                tox_b.append(int(n + 1 - np.count_nonzero(tox[k] > c))
                             if problem.phi_tox is not None else n + 1)
            grid.append((float(lv), float(gv), (tuple(eff_b), tuple(tox_b))))
    keys = list(dict.fromkeys(key for _, _, key in grid))
    done = [0]

    def tick(step: int) -> None:
        done[0] += step
        if progress is not None:
            progress(done[0], 2 * len(keys))

    null_stops = _stops_many(problem.looks, problem.null_cells, keys, tick)
    alt_stops = _stops_many(problem.looks, problem.alt_cells, keys, tick)
    best: tuple[tuple[float, float], float, float] | None = None
    for lv, gv, key in grid:
        stops = null_stops[key]
        if 1.0 - sum(stops) > alpha + 1e-12:
            continue
        expected_n = sum(s * n for s, n in zip(stops[:-1], problem.looks, strict=False)) + (
            1.0 - sum(stops[:-1])) * n_max
        score = (1.0 - sum(alt_stops[key]), -expected_n)
        if best is None or score > best[0]:
            best = (score, lv, gv)
    if best is None:
        raise ValueError("no design on the grid keeps the type I error at alpha")
    _, lv, gv = best
    bnd = boundaries(problem, lv, gv)
    return Bop2Design(problem, alpha, lv, gv, bnd, exact_oc(bnd, problem.null_cells),
                      exact_oc(bnd, problem.alt_cells), candidates=len(keys))


def where_trial_stands(problem: Bop2Problem, lam: float, gamma: float, n: int, n_eff: int,
                       n_tox: int) -> dict[str, Any]:
    """The counts observed so far against the rule (for a DSMB): the posterior probabilities,
    the cutoff C(n), and whether the rule says stop (at a look, the boundary table's answer)."""
    if not 1 <= n <= problem.n_max or not 0 <= n_eff <= n or not 0 <= n_tox <= n:
        raise ValueError("counts must lie between 0 and n, and n between 1 and N")
    out: dict[str, Any] = {
        "n": n, "efficacies": n_eff, "toxicities": n_tox,
        "pr_futile": float(futility_probability(problem, n)[n_eff]),
        "pr_toxic": float(toxicity_probability(problem, n)[n_tox]),
        "cutoff": float(cutoff(n, problem.n_max, lam, gamma)),
        "at_look": n in problem.looks,
    }
    out["stop_for_futility"] = out["pr_futile"] > out["cutoff"]
    out["stop_for_toxicity"] = problem.phi_tox is not None and out["pr_toxic"] > out["cutoff"]
    return out
