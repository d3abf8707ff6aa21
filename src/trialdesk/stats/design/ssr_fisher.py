"""Sample-size re-estimation for Fisher combination designs, and its operating characteristics.

The rule is :class:`.ssr.SampleSizeRule`, applied as for the inverse-normal test: at an interim
the next stage gets the size that gives conditional power ``target`` of rejecting *at that stage*
(under the observed effect or a fixed one), bounded by ``n_min`` and ``n_max``, or the promising
zone rule. For Fisher's test the next stage rejects when its p-value is at most
``u = min(1, (c_{k+1} / prod p_i^{w_i})^{1 / w_{k+1}})``, so its z must exceed ``Phi^-1(1 - u)``
(rpact's conditional critical value in ``getSimulationMeans/Rates`` for Fisher designs). The
type I error stays at alpha whatever the rule: under H0 the next p-value is uniform whatever its
stage's size (Bauer and Köhne 1994).

Operating characteristics: :func:`oc_integration_fisher` (two stages, one adaptive quadrature over
the first-stage z with the rule's change points as breaks; :mod:`.numint` does not apply, as the
second stage's size depends on the first stage's z) and :func:`oc_simulation_fisher` (two or three
stages, seeded, vectorized over trials, drawing the stage-wise z-statistics).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special

from .combination import FisherDesign
from .conditional_power_fisher import log_threshold, z_from_p
from .ssr import OperatingCharacteristics, SampleSizeRule, change_points, sizes_for_gap


def _gap(design: FisherDesign, k: int, log_product: NDArray[np.float64]) -> NDArray[np.float64]:
    """The z above which stage ``k + 1`` (0-based) rejects, after the product ``log_product``."""
    return -special.ndtri(np.exp(log_threshold(design, k + 1, log_product)))


def next_sizes_fisher(
    design: FisherDesign,
    rule: SampleSizeRule,
    k: int,
    log_product: NDArray[np.float64],
    theta_hat: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Vectorized: the size of stage ``k + 1`` (0-based ``k``) for trials continuing after ``k``.

    ``log_product`` is ``sum_{i<=k} w_i log p_i`` and ``theta_hat`` the observed effect.
    """
    return sizes_for_gap(rule, k, _gap(design, k, log_product), theta_hat)


def next_size_fisher(design: FisherDesign, rule: SampleSizeRule, p_values: ArrayLike) -> float:
    """The re-estimated size of the next stage after the stage-wise p-values ``p_values``."""
    p = np.asarray(p_values, dtype=float)
    k = p.size - 1
    if not 0 <= k < design.k - 1:
        raise ValueError("re-estimation happens at an interim (before the last stage)")
    if np.any(p <= 0) or np.any(p > 1):
        raise ValueError("stage-wise p-values must lie in (0, 1]")
    n = np.asarray(rule.n_planned[: k + 1], dtype=float)
    z = z_from_p(p)
    log_l = np.array([np.sum(design.weights[: k + 1] * np.log(p))])
    theta_hat = np.array([np.sum(np.sqrt(n) * z) / np.sum(n)])
    return float(next_sizes_fisher(design, rule, k, log_l, theta_hat)[0])


def _first_stage(design: FisherDesign, rule: SampleSizeRule, z1: NDArray[np.float64]
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """For first-stage z values: the second stage's size, its gap, and the observed effect."""
    n1 = rule.n_planned[0]
    log_l = design.weights[0] * special.log_ndtr(-z1)
    theta_hat = z1 / math.sqrt(n1)
    return next_sizes_fisher(design, rule, 0, log_l, theta_hat), _gap(design, 0, log_l), theta_hat


def _regime(design: FisherDesign, rule: SampleSizeRule, z1: NDArray[np.float64]
            ) -> NDArray[np.int64]:
    """Which piece of the rule applies at each first-stage z (a small integer code)."""
    planned = rule.n_planned[1]
    n, gap, theta_hat = _first_stage(design, rule, z1)
    n_lo = planned if rule.n_min is None else rule.n_min
    n_hi = planned if rule.n_max is None else rule.n_max
    code = (n <= n_lo * (1 + 1e-12)).astype(np.int64) + 2 * (n >= n_hi * (1 - 1e-12))
    if rule.promising is not None:
        cp = special.ndtr(theta_hat * math.sqrt(planned) - gap)
        code += 4 * (cp >= rule.promising[0]) + 8 * (cp >= rule.promising[1])
    return code


def oc_integration_fisher(
    design: FisherDesign, rule: SampleSizeRule, theta: float
) -> OperatingCharacteristics:
    """Operating characteristics of a two-stage Fisher design with re-estimation, by quadrature."""
    if design.k != 2:
        raise ValueError("numerical integration is implemented for two-stage designs")
    n1, n2_plan = rule.n_planned[0], rule.n_planned[1]
    m1 = theta * math.sqrt(n1)
    # Stage one rejects for p_1 <= c_1 and stops for futility for p_1 > alpha0_1.
    z_reject = float(z_from_p(design.critical_values[0]))
    a0 = float(design.alpha0[0])
    z_futile = float(z_from_p(a0)) if a0 < 1 else -math.inf
    lo = max(z_futile, m1 - 12.0)
    hi = min(z_reject, m1 + 12.0)

    def at(z1: float) -> tuple[float, float]:
        n2, gap, _ = _first_stage(design, rule, np.array([z1]))
        return float(n2[0]), float(gap[0])

    def dens(z1: float) -> float:
        return math.exp(-0.5 * (z1 - m1) ** 2) / math.sqrt(2 * math.pi)

    def reject2(z1: float) -> float:
        n2, gap = at(z1)
        return dens(z1) * float(special.ndtr(theta * math.sqrt(n2) - gap))

    def size2(z1: float) -> float:
        return dens(z1) * at(z1)[0]

    def increased(z1: float) -> float:
        return dens(z1) * float(at(z1)[0] > n2_plan * (1 + 1e-12))

    if hi > lo:
        points = change_points(lambda z: _regime(design, rule, z), lo, hi)
        quad = {"epsabs": 1e-12, "epsrel": 1e-10, "limit": 400, "points": points or None}
        r2 = integrate.quad(reject2, lo, hi, **quad)[0]
        en2 = integrate.quad(size2, lo, hi, **quad)[0]
        pinc = integrate.quad(increased, lo, hi, **quad)[0]
    else:
        r2 = en2 = pinc = 0.0
    r1 = float(special.ndtr(m1 - z_reject))
    f1 = float(special.ndtr(z_futile - m1)) if a0 < 1 else 0.0
    return OperatingCharacteristics(
        reject=np.array([r1, r2]),
        futility=np.array([f1, 0.0]),
        expected_n=n1 + en2,
        p_increase=pinc,
    )


def oc_simulation_fisher(
    design: FisherDesign,
    rule: SampleSizeRule,
    theta: float,
    *,
    sims: int = 100_000,
    seed: int = 2011,
) -> OperatingCharacteristics:
    """Operating characteristics by simulation (two or three stages), seeded and vectorized.

    Efficacy is checked before futility at each stage, as :meth:`.FisherDesign.decision` does.
    """
    if len(rule.n_planned) != design.k:
        raise ValueError("one planned size per stage is needed")
    rng = np.random.default_rng(seed)
    k_max = design.k
    w = design.weights
    log_c = np.log(design.critical_values)
    log_a0 = np.log(design.alpha0)
    e = rng.standard_normal((sims, k_max))
    running = np.ones(sims, dtype=bool)
    log_prod = np.zeros(sims)
    info_sum = np.zeros(sims)  # sum sqrt(n_i) z_i, for the observed effect
    n_sum = np.zeros(sims)
    n_stage = np.full(sims, float(rule.n_planned[0]))
    reject = np.zeros(k_max)
    futility = np.zeros(k_max)
    total_n = np.zeros(sims)
    increased = np.zeros(sims, dtype=bool)
    for k in range(k_max):
        z = theta * np.sqrt(n_stage) + e[:, k]
        log_p = special.log_ndtr(-z)
        total_n += np.where(running, n_stage, 0.0)
        log_prod += w[k] * log_p
        info_sum += np.sqrt(n_stage) * z
        n_sum += n_stage
        rej = running & (log_prod <= log_c[k])
        reject[k] = rej.mean()
        running &= ~rej
        if k == k_max - 1:
            break
        fut = running & (log_p > log_a0[k])
        futility[k] = fut.mean()
        running &= ~fut
        n_next = next_sizes_fisher(design, rule, k, log_prod, info_sum / n_sum)
        increased |= running & (n_next > rule.n_planned[k + 1] * (1 + 1e-12))
        n_stage = n_next
    se = np.sqrt(reject * (1 - reject) / sims)
    return OperatingCharacteristics(
        reject=reject,
        futility=futility,
        expected_n=float(total_n.mean()),
        p_increase=float(increased.mean()),
        se=se,
    )
