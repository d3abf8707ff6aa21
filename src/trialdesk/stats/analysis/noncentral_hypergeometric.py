"""Conditional maximum-likelihood odds ratio of a 2 x 2 table and its exact conditional interval.

The computation of R's ``fisher.test`` for a 2 x 2 table (R's ``stats`` package, file
``fisher.test.R``): given all four margins, the top-left cell X follows Fisher's noncentral
hypergeometric distribution, ``P(X = s; psi)`` proportional to ``C(m, s) C(n, k - s) psi^s`` on
``lo <= s <= hi``, where psi is the odds ratio. Then

- the estimate is the psi with ``E[X; psi] = x`` (0 when x = lo, infinite when x = hi);
- the interval at level 1 - alpha has lower limit the psi with ``P(X >= x; psi) = alpha/2`` (0 when
  x = lo) and upper limit the psi with ``P(X <= x; psi) = alpha/2`` (infinite when x = hi).

Why not scipy's ``odds_ratio(kind="conditional")``: it evaluates the noncentral distribution afresh,
term by term, at every step of every root search, which grows faster than the margin (7.7 s at
100,000 participants). Here the central log-density is computed once over the support (from the
ratio of consecutive terms, summed outward from the mode, so the rounding stays near 1e-13 even at
margins of 10^5); each step of the search is then one vectorized tilt by ``theta (s - x)`` with
``theta = log psi``, a max-shift and an exp: cost linear in the support's size, about 20 steps a
root. The search is on log psi (where the functions are smooth and monotone) with Brent's method,
to a tolerance far below R's (R's ``uniroot`` stops at about 1e-4 on psi or 1/psi).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

# Brent's tolerance on theta = log psi: the limits are then exact to ~1e-13 relative, far inside
# the 1e-8 checked against a 50-digit computation in the tests.
_XTOL = 1e-13
# |theta| beyond this means psi outside [1e-300, 1e300]: no table of 64-bit counts gets there
# except through the x = lo / x = hi edges, which are handled before any search.
_THETA_LIMIT = 700.0


@dataclass(frozen=True)
class ConditionalOddsRatio:
    """The conditional MLE of the odds ratio with its two-sided exact conditional interval.

    ``estimate`` is NaN when the table has a zero margin (the support is a single point and the
    data carry no information on the odds ratio); the interval is then 0 to infinity, as R's.
    """

    estimate: float
    lower: float
    upper: float


class NoncentralHypergeometric:
    """Fisher's noncentral hypergeometric distribution of the top-left cell, margins fixed.

    ``m``: first column total, ``n``: second column total, ``k``: first row total (R's names in
    ``fisher.test``); ``x`` the observed cell, the point the tails and the mean are taken about.
    Probabilities are functions of ``theta = log psi``.
    """

    def __init__(self, m: int, n: int, k: int, x: int) -> None:
        if min(m, n, k) < 0 or k > m + n:
            raise ValueError(f"not the margins of a 2 x 2 table: m={m}, n={n}, k={k}")
        self.lo = max(0, k - n)
        self.hi = min(k, m)
        if not self.lo <= x <= self.hi:
            raise ValueError(f"cell {x} outside its support {self.lo}..{self.hi} given the margins")
        self.x = x
        support = np.arange(self.lo, self.hi + 1, dtype=np.int64)
        self.log_central = _log_central_density(support, m, n, k)
        # Tilting by s - x instead of s changes only the normalizing constant, and keeps
        # theta * (s - x) small where the mass is, so it loses no precision.
        self.offset = (support - x).astype(np.float64)
        self._split = x - self.lo  # index of x in the support

    def tilted(self, theta: float) -> np.ndarray:
        """Return the unnormalized weights ``exp(log C + theta (s - x) - max)``."""
        log_weight = self.log_central + theta * self.offset
        log_weight -= log_weight.max()
        # Raised to -700 (weight 1e-304): exp is many times slower where it underflows to
        # subnormals or zero, and the at most 10^5 raised weights add < 1e-298 to a sum >= 1.
        np.maximum(log_weight, -700.0, out=log_weight)
        return np.exp(log_weight, out=log_weight)

    def mean_minus_x(self, theta: float) -> float:
        """Return ``E[X; theta] - x``: increasing in theta."""
        weight = self.tilted(theta)
        # Not ``weight @ offset``: BLAS may hand a dot of this length to its threads, whose wake-up
        # costs milliseconds on a busy machine; numpy's pairwise sum is also the more accurate.
        return float((weight * self.offset).sum() / weight.sum())

    def lower_tail(self, theta: float) -> float:
        """Return ``P(X <= x; theta)``: decreasing in theta."""
        weight = self.tilted(theta)
        return float(weight[: self._split + 1].sum() / weight.sum())

    def upper_tail(self, theta: float) -> float:
        """Return ``P(X >= x; theta)``: increasing in theta."""
        weight = self.tilted(theta)
        return float(weight[self._split :].sum() / weight.sum())


def _log_central_density(support: np.ndarray, m: int, n: int, k: int) -> np.ndarray:
    """Return ``log C(m, s) + log C(n, k - s)`` over the support, up to an additive constant.

    From ``P(s + 1) / P(s) = (m - s)(k - s) / ((s + 1)(n - k + s + 1))``: numerator and
    denominator are exact in float64 (products below 2^53 for margins below ~9e7), so each log
    ratio carries one rounding; the sums start at the mode so the error is smallest where the mass
    is. Nothing is lost by dropping the constant: every probability used is normalized.
    """
    if len(support) == 1:
        return np.zeros(1)
    s = support[:-1].astype(np.float64)
    log_ratio = np.log(((m - s) * (k - s)) / ((s + 1.0) * (n - k + s + 1.0)))
    # The mode is where the ratio crosses 1 (log ratio from positive to non-positive).
    mode = int(np.searchsorted(-log_ratio, 0.0))
    log_density = np.empty(len(support))
    log_density[mode] = 0.0
    log_density[mode + 1 :] = np.cumsum(log_ratio[mode:])
    log_density[:mode] = -np.cumsum(log_ratio[:mode][::-1])[::-1]
    return log_density


def _root(function: Callable[[float], float], increasing: bool) -> float:
    """Return theta with ``function(theta) = 0`` for a monotone function, bracketing by doubling
    steps away from theta = 0 (psi = 1) in the direction the sign at 0 points to."""
    at_zero = function(0.0)
    if at_zero == 0.0:
        return 0.0
    direction = -1.0 if (at_zero > 0) == increasing else 1.0
    inner, step = 0.0, 1.0
    while True:
        outer = direction * step
        value = function(outer)
        if value == 0.0:
            return outer
        if (value > 0) != (at_zero > 0):
            low, high = sorted((inner, outer))
            return float(brentq(function, low, high, xtol=_XTOL))
        if step > _THETA_LIMIT:
            return outer  # the root is beyond floating point: psi is 0 or infinite in effect
        inner, step = outer, step * 2.0


def _psi(theta: float) -> float:
    return math.exp(theta) if theta < 709.0 else math.inf  # math.exp raises past ~709.78


def conditional_odds_ratio_2x2(
    x: int, row1: int, col1: int, total: int, level: float = 0.95
) -> ConditionalOddsRatio:
    """Return R's ``fisher.test`` estimate and two-sided interval for the 2 x 2 table with top-left
    cell ``x``, first row total ``row1``, first column total ``col1`` and grand total ``total``."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    m, n, k = col1, total - col1, row1
    distribution = NoncentralHypergeometric(m, n, k, x)
    lo, hi = distribution.lo, distribution.hi
    if lo == hi:
        return ConditionalOddsRatio(math.nan, 0.0, math.inf)
    alpha = (1 - level) / 2
    if x == lo:
        estimate = 0.0
    elif x == hi:
        estimate = math.inf
    else:
        estimate = _psi(_root(distribution.mean_minus_x, increasing=True))
    lower = 0.0
    if x != lo:
        lower = _psi(_root(lambda t: distribution.upper_tail(t) - alpha, increasing=True))
    upper = math.inf
    if x != hi:
        upper = _psi(_root(lambda t: distribution.lower_tail(t) - alpha, increasing=False))
    return ConditionalOddsRatio(estimate, lower, upper)
