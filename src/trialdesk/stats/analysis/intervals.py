"""Confidence intervals for proportions and their comparisons.

Library calls where a library has the method (Wilson: statsmodels); by hand what none has, or has
too slowly: Newcombe's hybrid score interval for a difference (Newcombe 1998, method 10), the Katz
log interval for a relative risk (Katz et al. 1978), and the conditional odds ratio (scipy's grows
faster than the sample; see :mod:`.noncentral_hypergeometric`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from .noncentral_hypergeometric import conditional_odds_ratio_2x2

WILSON = "Wilson score interval"
NEWCOMBE = "Newcombe hybrid score interval (Newcombe 1998, method 10)"
KATZ = "Katz log interval"
KATZ_CORRECTED = "Katz log interval, 0.5 added to each cell (a group had no events)"
CONDITIONAL_OR = (
    "conditional maximum-likelihood odds ratio with exact conditional interval (as R fisher.test)"
)


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided interval, and the name of the method."""

    estimate: float
    lower: float
    upper: float
    level: float
    method: str

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return float(norm.ppf(0.5 + level / 2))


def _check_counts(events: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"group size must be positive, got {n}")
    if not 0 <= events <= n:
        raise ValueError(f"events must be between 0 and the group size {n}, got {events}")


def wilson(events: int, n: int, level: float = 0.95) -> Interval:
    """Return the proportion ``events / n`` with its Wilson score interval (statsmodels)."""
    _check_counts(events, n)
    lower, upper = proportion_confint(events, n, alpha=1 - level, method="wilson")
    p = events / n
    # The closed form can land a rounding error outside [0, p] or [p, 1] at the boundaries.
    lower, upper = float(min(max(lower, 0.0), p)), float(max(min(upper, 1.0), p))
    return Interval(p, lower, upper, level, WILSON)


def newcombe_difference(
    events_a: int, n_a: int, events_b: int, n_b: int, level: float = 0.95
) -> Interval:
    """Return p_a - p_b with Newcombe's hybrid score interval (method 10 of Newcombe 1998).

    With (l_i, u_i) the Wilson limits of p_i and d = p_a - p_b:
    lower = d - sqrt((p_a - l_a)^2 + (u_b - p_b)^2),
    upper = d + sqrt((u_a - p_a)^2 + (p_b - l_b)^2).
    """
    a = wilson(events_a, n_a, level)
    b = wilson(events_b, n_b, level)
    d = a.estimate - b.estimate
    lower = d - math.sqrt((a.estimate - a.lower) ** 2 + (b.upper - b.estimate) ** 2)
    upper = d + math.sqrt((a.upper - a.estimate) ** 2 + (b.estimate - b.lower) ** 2)
    return Interval(d, max(lower, -1.0), min(upper, 1.0), level, NEWCOMBE)


def katz_relative_risk(
    events_a: int, n_a: int, events_b: int, n_b: int, level: float = 0.95
) -> Interval:
    """Return p_a / p_b with the Katz log interval: log RR +- z sqrt(1/a - 1/n_a + 1/b - 1/n_b).

    When either group has no events the ratio or its variance is undefined; then 0.5 is added to
    every cell (Haldane-Anscombe), to the estimate and the interval alike, and the method says so.
    When neither group has events the ratio is undefined and NaN is returned.
    """
    _check_counts(events_a, n_a)
    _check_counts(events_b, n_b)
    method = KATZ
    a, na, b, nb = float(events_a), float(n_a), float(events_b), float(n_b)
    if events_a == 0 and events_b == 0:
        nan = float("nan")
        return Interval(nan, nan, nan, level, KATZ + "; undefined: no events in either group")
    if events_a == 0 or events_b == 0:
        a, na, b, nb = a + 0.5, na + 1.0, b + 0.5, nb + 1.0
        method = KATZ_CORRECTED
    log_rr = math.log((a / na) / (b / nb))
    se = math.sqrt(max(1 / a - 1 / na + 1 / b - 1 / nb, 0.0))
    z = _z(level)
    return Interval(
        math.exp(log_rr), math.exp(log_rr - z * se), math.exp(log_rr + z * se), level, method
    )


def conditional_odds_ratio(
    events_a: int, n_a: int, events_b: int, n_b: int, level: float = 0.95
) -> Interval:
    """Return the odds ratio a vs b: conditional MLE with the exact conditional interval.

    This is what R's ``fisher.test`` reports; it is defined with zero cells, where the sample
    odds ratio is not. With a zero margin (no events, or only events) R prints 0 because its code
    tests ``x == lo`` first; the estimate is undefined there and is reported as NaN, with R's
    interval 0 to infinity.
    """
    _check_counts(events_a, n_a)
    _check_counts(events_b, n_b)
    result = conditional_odds_ratio_2x2(
        events_a, n_a, events_a + events_b, n_a + n_b, level
    )
    method = CONDITIONAL_OR
    if math.isnan(result.estimate):
        method += "; undefined: a zero margin"
    return Interval(result.estimate, result.lower, result.upper, level, method)
