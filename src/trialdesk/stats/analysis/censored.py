"""Geometric means of values left-censored at an assay's limit, by maximum likelihood (Tobit).

A sensitivity analysis beside the protocol's substitution rule (LLOQ/2): on the log scale the
values of one group on one day are taken as normal, a value below the limit contributes the
probability of lying below it, Phi((log limit - mu) / sigma), instead of a made-up number
(Tobin 1958; for assays, Lubin et al., Environ Health Perspect 2004;112:1691-6). The geometric
mean is exp(mu) with a Wald interval from the observed information. Without censored values the
fit is the ordinary one (mean of the logs; the standard deviation with n in the denominator, as
maximum likelihood has it). When every value of a cell is censored the likelihood has no
maximum, and the cell has no estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.stats import norm

from ._base import AnalysisInputError, label, require_columns, two_groups


@dataclass(frozen=True)
class CensoredNormalFit:
    mean: float  # mu, on the log scale
    sd: float  # sigma, on the log scale
    se_mean: float
    n: int
    censored: int
    loglik: float


def _neg_loglik(theta: np.ndarray, observed: np.ndarray, limits: np.ndarray) -> float:
    mu, log_sigma = theta
    sigma = math.exp(log_sigma)
    value = np.sum(norm.logpdf(observed, mu, sigma)) + np.sum(norm.logcdf(limits, mu, sigma))
    return -float(value)


def _hessian(function: Any, theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    size = len(theta)
    hessian = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            ei, ej = np.eye(size)[i] * step, np.eye(size)[j] * step
            hessian[i, j] = (function(theta + ei + ej) - function(theta + ei - ej)
                             - function(theta - ei + ej) + function(theta - ei - ej)) / (
                4 * step * step)
    return hessian


def censored_normal_fit(observed: np.ndarray, limits: np.ndarray) -> CensoredNormalFit | None:
    """Fit mu and sigma to ``observed`` log values and log ``limits`` of the censored ones.

    None when no value is observed, or too few (fewer than 2) to estimate a spread."""
    observed = np.asarray(observed, dtype=float)
    limits = np.asarray(limits, dtype=float)
    n = len(observed) + len(limits)
    if len(observed) < 2 or np.ptp(np.concatenate([observed, limits])) == 0:
        return None
    if len(limits) == 0:  # closed form
        mu, sigma = float(observed.mean()), float(observed.std(ddof=0))
        loglik = -_neg_loglik(np.array([mu, math.log(sigma)]), observed, limits)
        return CensoredNormalFit(mu, sigma, sigma / math.sqrt(n), n, 0, loglik)
    every = np.concatenate([observed, limits])
    start = np.array([float(every.mean()), math.log(max(float(every.std(ddof=0)), 1e-3))])
    found = optimize.minimize(_neg_loglik, start, args=(observed, limits), method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    if not found.success:
        return None
    theta = found.x
    covariance = np.linalg.inv(_hessian(lambda t: _neg_loglik(t, observed, limits), theta))
    return CensoredNormalFit(float(theta[0]), math.exp(float(theta[1])),
                             math.sqrt(max(float(covariance[0, 0]), 0.0)), n, len(limits),
                             -float(found.fun))


@dataclass(frozen=True)
class CensoredGeometricMean:
    group: str
    day: float
    n: int
    below: int
    geometric_mean: float | None
    lower: float | None
    upper: float | None


def censored_geometric_means(
    frame: pd.DataFrame,
    *,
    group: str,
    day: str,
    value: str,
    lod: float,
    groups: tuple[Any, Any] | list[Any] | None = None,
    level: float = 0.95,
) -> list[CensoredGeometricMean]:
    """Geometric means by group and day by the censored likelihood; ``value`` holds numbers or
    "<x" (censored at x); a number below ``lod`` is censored at ``lod``."""
    require_columns(frame, [group, day, value])
    data = frame.dropna(subset=[group, day, value])
    text = data[value].astype(str).str.strip()
    below = text.str.startswith("<").to_numpy()
    numbers = pd.to_numeric(text.str.lstrip("<").str.strip(), errors="coerce").to_numpy(float)
    if np.isnan(numbers).any() or np.any(numbers <= 0):
        raise AnalysisInputError(value, "must be positive numbers or '<LOD'")
    below = below | (numbers < lod)
    numbers = np.where(below & (numbers < lod), lod, numbers)
    logs = np.log(numbers)
    first, second = two_groups(data[group], group, groups)
    days = sorted(set(pd.to_numeric(data[day]).tolist()))
    z = float(norm.ppf(0.5 + level / 2))
    found = []
    for name in (first, second):
        for d in days:
            mask = ((data[group] == name) & (pd.to_numeric(data[day]) == d)).to_numpy()
            fit = censored_normal_fit(logs[mask & ~below], logs[mask & below])
            if fit is None:
                found.append(CensoredGeometricMean(label(name), d, int(mask.sum()),
                                                   int((mask & below).sum()), None, None, None))
                continue
            found.append(CensoredGeometricMean(
                label(name), d, fit.n, fit.censored, math.exp(fit.mean),
                math.exp(fit.mean - z * fit.se_mean), math.exp(fit.mean + z * fit.se_mean)))
    return found
