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
stages, seeded, vectorized over trials, drawing the stage-wise z-statistics); both are
:mod:`.ssr`'s, run on the log of the weighted product of p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .combination import FisherDesign
from .conditional_power_fisher import log_threshold, z_from_p
from .ssr import (
    OperatingCharacteristics,
    SampleSizeRule,
    interim_stage,
    observed_effect,
    oc_integration_two_stage,
    oc_simulation_stages,
    sizes_for_gap,
)


@dataclass(frozen=True)
class _FisherSteps:
    """Fisher's test on the scale of the log weighted product ``sum w_i log p_i``."""

    design: FisherDesign

    def combine(self, k: int, stat: NDArray[np.float64], z: NDArray[np.float64]
                ) -> NDArray[np.float64]:
        return stat + self.design.weights[k] * special.log_ndtr(-z)

    def rejects(self, k: int, stat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return stat <= np.log(self.design.critical_values)[k]

    def futile(self, k: int, stat: NDArray[np.float64], z: NDArray[np.float64]
               ) -> NDArray[np.bool_]:
        return special.log_ndtr(-z) > np.log(self.design.alpha0)[k]

    def gap(self, k: int, stat: NDArray[np.float64]) -> NDArray[np.float64]:
        return -special.ndtri(np.exp(log_threshold(self.design, k + 1, stat)))


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
    return sizes_for_gap(rule, k, _FisherSteps(design).gap(k, log_product), theta_hat)


def next_size_fisher(design: FisherDesign, rule: SampleSizeRule, p_values: ArrayLike) -> float:
    """The re-estimated size of the next stage after the stage-wise p-values ``p_values``."""
    p = np.asarray(p_values, dtype=float)
    k = interim_stage(design.k, p.size)
    if np.any(p <= 0) or np.any(p > 1):
        raise ValueError("stage-wise p-values must lie in (0, 1]")
    log_l = np.array([np.sum(design.weights[: k + 1] * np.log(p))])
    return float(next_sizes_fisher(design, rule, k, log_l, observed_effect(rule, z_from_p(p)))[0])


def oc_integration_fisher(
    design: FisherDesign, rule: SampleSizeRule, theta: float
) -> OperatingCharacteristics:
    """Operating characteristics of a two-stage Fisher design with re-estimation, by quadrature."""
    if design.k != 2:
        raise ValueError("numerical integration is implemented for two-stage designs")
    # Stage one rejects for p_1 <= c_1 and stops for futility for p_1 > alpha0_1.
    a0 = float(design.alpha0[0])
    return oc_integration_two_stage(
        _FisherSteps(design), rule, theta,
        z_reject=float(z_from_p(design.critical_values[0])),
        z_futile=float(z_from_p(a0)) if a0 < 1 else -math.inf,
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
    return oc_simulation_stages(_FisherSteps(design), design.k, rule, theta, sims=sims, seed=seed)
