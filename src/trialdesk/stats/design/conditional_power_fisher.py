"""Conditional power of a Fisher combination design at an interim analysis.

Scale as in :mod:`.conditional_power`: ``theta`` is the standardized effect per patient, a stage
with ``n`` new patients gives ``Z ~ N(theta sqrt(n), 1)`` and the stage-wise one-sided p-value
``p = 1 - Phi(Z)``.

After stages ``1..k`` with weighted product ``L = prod p_i^{w_i}``, stage ``j = k + 1`` rejects
when ``L p_j^{w_j} <= c_j``, i.e. when ``p_j <= u_j = min(1, (c_j / L)^{1 / w_j})``; so the
probability of rejecting at the next stage is ``Phi(theta sqrt(n_j) + Phi^-1(u_j))``, in closed
form. With one stage left this is the conditional power (rpact's ``getConditionalPower`` for a
Fisher design at stage ``kMax - 1``). With two or more left, whether a later stage rejects depends
on the next p-values through the product and on the futility levels ``alpha0``, and rpact
simulates; so does :func:`conditional_power_fisher` (seeded, vectorized). Only the stages before
the last are drawn: the last stage's rejection given them is the closed form above, which keeps
the estimate unbiased and lowers its variance.

At each later stage efficacy is checked first, then futility (``p_j > alpha0_j``), as in
:meth:`.FisherDesign.decision`, in the design's type I error and in rpact's analysis
(``testActions``). rpact's conditional-power simulation checks futility first; the two differ only
for a p-value above ``alpha0_j`` whose product still reaches ``c_j``, which needs
``c_j / c_{j-1} > alpha0_j^{w_j}`` (e.g. curtailed ``fullAlpha`` designs).
Where the product so far already reaches the final critical value (only possible once the trial
has stopped) the conditional power is 1; rpact reports NA there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .combination import FisherDesign
from .conditional_power import observed_theta

DEFAULT_SIMS = 100_000
DEFAULT_SEED = 2011


def p_from_z(stage_z: ArrayLike) -> NDArray[np.float64]:
    """One-sided stage-wise p-values ``1 - Phi(z)``."""
    return special.ndtr(-np.asarray(stage_z, dtype=float))


def z_from_p(p_values: ArrayLike) -> NDArray[np.float64]:
    """Stage-wise z-statistics ``Phi^-1(1 - p)`` (accurate for small p)."""
    return -special.ndtri(np.asarray(p_values, dtype=float))


def _checked_p(design: FisherDesign, p_values: ArrayLike) -> NDArray[np.float64]:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or not 1 <= p.size < design.k:
        raise ValueError("conditional power is computed at an interim (before the last stage)")
    if np.any(p <= 0) or np.any(p > 1):
        raise ValueError("stage-wise p-values must lie in (0, 1]")
    return p


def _log_product(design: FisherDesign, p: NDArray[np.float64]) -> float:
    return float(np.sum(design.weights[: p.size] * np.log(p)))


def log_threshold(design: FisherDesign, stage: int, log_product: ArrayLike) -> NDArray:
    """``log u``: stage ``stage`` (0-based) rejects when ``log p <= log u`` (capped at 0)."""
    w = design.weights[stage]
    return np.minimum(0.0, (math.log(design.critical_values[stage]) - np.asarray(log_product)) / w)


def next_stage_threshold(design: FisherDesign, p_values: ArrayLike) -> float:
    """The p-value at or below which the next stage rejects, ``min(1, (c / L)^(1 / w))``."""
    p = _checked_p(design, p_values)
    return float(np.exp(log_threshold(design, p.size, _log_product(design, p))))


def conditional_power_next_stage(
    design: FisherDesign, p_values: ArrayLike, n_next: float, theta: float
) -> float:
    """Probability of rejecting at the next stage with ``n_next`` new patients (closed form)."""
    if n_next <= 0:
        raise ValueError("the next stage needs a positive sample size")
    u = next_stage_threshold(design, p_values)
    return float(special.ndtr(theta * math.sqrt(n_next) + special.ndtri(u)))


@dataclass(frozen=True)
class FisherConditionalPower:
    """Conditional power and, per remaining stage, the probability of having rejected by then."""

    value: float
    by_stage: NDArray[np.float64]  # cumulative, one per remaining stage (rpact's per-stage CP)
    method: str  # "exact" (one stage left) or "simulation"
    sims: int | None = None
    seed: int | None = None
    se: float | None = None  # simulation: standard error of `value`


def conditional_power_fisher(
    design: FisherDesign,
    p_values: ArrayLike,
    n_remaining: ArrayLike,
    theta: float,
    *,
    sims: int = DEFAULT_SIMS,
    seed: int = DEFAULT_SEED,
) -> FisherConditionalPower:
    """Conditional power given the stage-wise p-values so far and the new patients per later stage.

    Exact with one stage left; with more, ``sims`` simulated continuations drawn with ``seed``.
    """
    p = _checked_p(design, p_values)
    n = np.asarray(n_remaining, dtype=float)
    k = p.size
    if n.shape != (design.k - k,) or np.any(n <= 0):
        raise ValueError("one positive sample size per remaining stage is needed")
    log_l = _log_product(design, p)
    if n.size == 1:
        value = conditional_power_next_stage(design, p, float(n[0]), theta)
        return FisherConditionalPower(value, np.array([value]), "exact")
    if sims < 1:
        raise ValueError("sims must be positive")
    rng = np.random.default_rng(seed)
    w = design.weights
    log_c = np.log(design.critical_values)
    log_a0 = np.log(design.alpha0)
    draws = theta * np.sqrt(n[:-1]) + rng.standard_normal((sims, n.size - 1))
    log_p = special.log_ndtr(-draws)
    log_prod = np.full(sims, log_l)
    running = np.ones(sims, dtype=bool)
    hit = np.zeros(sims)
    by_stage = []
    for j in range(n.size - 1):
        stage = k + j
        log_prod = log_prod + w[stage] * log_p[:, j]
        rejected = running & (log_prod <= log_c[stage])
        hit += rejected
        running &= ~rejected
        running &= log_p[:, j] <= log_a0[stage]
        by_stage.append(hit.mean())
    # The last stage in closed form given the draws before it.
    last = design.k - 1
    u = np.exp(log_threshold(design, last, log_prod))
    hit += running * special.ndtr(theta * math.sqrt(n[-1]) + special.ndtri(u))
    value = float(hit.mean())
    by_stage.append(value)
    se = float(hit.std(ddof=1) / math.sqrt(sims)) if sims > 1 else math.inf
    return FisherConditionalPower(value, np.array(by_stage), "simulation", sims, seed, se)


def conditional_power_fisher_observed(
    design: FisherDesign,
    p_values: ArrayLike,
    stage_n: ArrayLike,
    n_remaining: ArrayLike,
    *,
    sims: int = DEFAULT_SIMS,
    seed: int = DEFAULT_SEED,
) -> FisherConditionalPower:
    """Conditional power under the effect observed so far (from the p-values' stage-wise z)."""
    theta_hat = observed_theta(z_from_p(_checked_p(design, p_values)), stage_n)
    return conditional_power_fisher(design, p_values, n_remaining, theta_hat, sims=sims, seed=seed)


def next_stage_size_fisher(
    design: FisherDesign, p_values: ArrayLike, theta: float, target: float
) -> float:
    """New patients in the next stage for probability ``target`` of rejecting at that stage.

    ``n = ((z_{1-u} + z_target) / theta)^2`` with ``u`` the next stage's p-value threshold (as
    rpact's simulations size a stage); 0 when the target is met without new patients, ``inf``
    when no size reaches it (``theta <= 0``).
    """
    if not 0 < target < 1:
        raise ValueError("target conditional power must lie in (0, 1)")
    need = -float(special.ndtri(next_stage_threshold(design, p_values))) + float(
        special.ndtri(target)
    )
    if need <= 0:
        return 0.0
    if theta <= 0:
        return math.inf
    return (need / theta) ** 2
