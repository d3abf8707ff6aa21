"""Sample size and power for comparing two means with Student's t-test.

Power uses the noncentral t distribution exactly as R's ``power.t.test`` does: for the two-sample
test with ``n`` per group, ``df = 2 (n - 1)`` and noncentrality ``sqrt(n / 2) * delta / sd``; by
default only the tail in the direction of the effect counts (``strict = FALSE`` in R); ``n`` is
found by root finding and reported unrounded too. One-sample and paired tests use ``df = n - 1``
and noncentrality ``sqrt(n) * delta / sd``.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

from .proportions import SampleSize, _finish

TYPES = ("two.sample", "one.sample", "paired")


def t_test_power(
    n: float,
    delta: float,
    *,
    sd: float = 1.0,
    alpha: float = 0.05,
    sided: int = 2,
    test_type: str = "two.sample",
    strict: bool = False,
) -> float:
    """Power of the t-test with ``n`` per group (or pairs); ``n`` may be fractional, as in R."""
    if test_type not in TYPES:
        raise ValueError(f"test type must be one of {', '.join(TYPES)}")
    if sided not in (1, 2):
        raise ValueError("sided must be 1 or 2")
    groups = 2 if test_type == "two.sample" else 1
    df = (n - 1) * groups
    ncp = math.sqrt(n / groups) * abs(delta) / sd
    q = stats.t.isf(alpha / sided, df)
    power = stats.nct.sf(q, df, ncp)
    if strict and sided == 2:
        power += stats.nct.cdf(-q, df, ncp)
    return float(power)


def means_sample_size(
    delta: float,
    *,
    sd: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    sided: int = 2,
    test_type: str = "two.sample",
    strict: bool = False,
    dropout: float = 0.0,
    inflation_factor: float = 1.0,
) -> SampleSize:
    """Per-group n for the t-test (``power.t.test(delta=, sd=, power=)``)."""
    if delta == 0 or sd <= 0:
        raise ValueError("delta must be non-zero and sd positive")
    if not 0 < power < 1:
        raise ValueError("power must lie in (0, 1)")

    def short(n: float) -> float:
        return (
            t_test_power(
                n, delta, sd=sd, alpha=alpha, sided=sided, test_type=test_type, strict=strict
            )
            - power
        )

    n = float(optimize.brentq(short, 2.0, 1e7, xtol=1e-10, rtol=1e-14))
    method = f"{test_type} t-test, noncentral t (as R power.t.test)"
    ratio = 1.0 if test_type == "two.sample" else 0.0
    result = _finish(n, ratio, dropout, inflation_factor, method)
    if test_type != "two.sample":
        # One group: n_total is the number of participants (pairs for a paired test).
        result = type(result)(**{**result.to_dict(), "n_treatment": 0, "n_total": result.n_per_arm})
    return result
