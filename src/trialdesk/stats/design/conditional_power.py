"""Conditional power of an inverse-normal design at an interim analysis.

Scale: an endpoint's effect enters as ``theta``, the *standardized effect per patient*: a stage
with ``n`` patients (both arms together) gives a stage-wise z-statistic ``Z ~ N(theta sqrt(n), 1)``.
For a difference of means ``delta`` with standard deviation ``sigma`` and allocation ratio ``r``
(experimental : control) ``theta = delta / sigma * sqrt(r) / (1 + r)``; for two rates (normal
approximation) ``sigma`` is ``sqrt(pbar (1 - pbar))`` with ``pbar`` the allocation-weighted mean
rate, as in the usual sample-size formula.

Conditional power is ``P(reject at a later stage | stage-wise z so far)``, against the efficacy
bounds only (futility bounds are not binding), for any number of remaining stages up to two.
"Observed effect" is the maximum likelihood estimate from the stage-wise statistics,
``theta_hat = sum sqrt(n_i) z_i / sum n_i``; "planned effect" is the design's ``theta``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, special

from .combination import InverseNormalDesign


def theta_means(delta: float, sigma: float, allocation_ratio: float = 1.0) -> float:
    """Standardized effect per patient for a difference of means."""
    if sigma <= 0 or allocation_ratio <= 0:
        raise ValueError("sigma and the allocation ratio must be positive")
    r = allocation_ratio
    return delta / sigma * math.sqrt(r) / (1.0 + r)


def theta_rates(pi_treatment: float, pi_control: float, allocation_ratio: float = 1.0) -> float:
    """Standardized effect per patient for a difference of two rates (normal approximation)."""
    for p in (pi_treatment, pi_control):
        if not 0 < p < 1:
            raise ValueError("rates must lie strictly between 0 and 1")
    r = allocation_ratio
    pbar = (r * pi_treatment + pi_control) / (1.0 + r)
    return theta_means(pi_treatment - pi_control, math.sqrt(pbar * (1 - pbar)), r)


def observed_theta(stage_z: ArrayLike, stage_n: ArrayLike) -> float:
    """Maximum likelihood estimate of ``theta`` from the stage-wise z-statistics."""
    z = np.asarray(stage_z, dtype=float)
    n = np.asarray(stage_n, dtype=float)[: z.size]
    return float(np.sum(np.sqrt(n) * z) / np.sum(n))


def _remaining_bounds(
    design: InverseNormalDesign, stage_z: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Return (A, w_future, b) with rejection at future stage j when ``A + S_j >= b_j``."""
    w = design.weights
    k = stage_z.size
    a = float(np.sum(w[:k] * stage_z))
    cum = np.sqrt(np.cumsum(w * w))
    b = design.critical_values[k:] * cum[k:]
    return a, w[k:], b


def conditional_power(
    design: InverseNormalDesign,
    stage_z: ArrayLike,
    n_remaining: ArrayLike,
    theta: float,
) -> float:
    """Conditional power given the stage-wise z so far and the new patients of each later stage.

    ``n_remaining`` holds the (not cumulative) sample size of each remaining stage.
    """
    z = np.asarray(stage_z, dtype=float)
    n = np.asarray(n_remaining, dtype=float)
    if not 1 <= z.size < design.k:
        raise ValueError("conditional power is computed at an interim (before the last stage)")
    if n.size != design.k - z.size or np.any(n <= 0):
        raise ValueError("one positive sample size per remaining stage is needed")
    a, w, b = _remaining_bounds(design, z)
    mean = theta * np.sqrt(n)
    # Stage j+1 rejects when w_j Z_j >= b_j - A - (earlier future terms).
    first = (b[0] - a) / w[0] - mean[0]
    if n.size == 1:
        return float(special.ndtr(-first))

    # Two stages left: P(reject at the next) + P(continue, reject at the one after), one integral.
    def continue_then_reject(x: float) -> float:
        # x is the next stage-wise z minus its mean
        s1 = w[0] * (x + mean[0])
        lim = (b[1] - a - s1) / w[1] - mean[1]
        return math.exp(-0.5 * x * x) * float(special.ndtr(-lim))

    later, _ = integrate.quad(continue_then_reject, -12.0, first, epsabs=1e-13, epsrel=1e-11,
                              limit=200)
    return float(special.ndtr(-first) + later / math.sqrt(2 * math.pi))


def conditional_power_observed(
    design: InverseNormalDesign, stage_z: ArrayLike, stage_n: ArrayLike, n_remaining: ArrayLike
) -> float:
    """Conditional power under the effect observed so far (the "current trend")."""
    return conditional_power(design, stage_z, n_remaining, observed_theta(stage_z, stage_n))


def next_stage_size(
    design: InverseNormalDesign, stage_z: ArrayLike, theta: float, target: float
) -> float:
    """New patients in the next stage for conditional power ``target`` of rejecting at that stage.

    Closed form: the next stage rejects when its z exceeds ``beta_z = (b - A) / w``, so
    ``n = ((beta_z + z_target) / theta)^2``; ``inf`` when no sample size reaches the target
    (``theta <= 0``), 0 when the target is met without new patients.
    """
    z = np.asarray(stage_z, dtype=float)
    a, w, b = _remaining_bounds(design, z)
    need = (b[0] - a) / w[0] + float(special.ndtri(target))
    if need <= 0:
        return 0.0
    if theta <= 0:
        return math.inf
    return (need / theta) ** 2
