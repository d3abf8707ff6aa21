"""The conditional odds ratio against R's fisher.test, a 50-digit computation, and scipy.

R stops its root searches early: ``uniroot`` with its default ``tol = .Machine$double.eps^0.25``
(1.22e-4), on psi itself when the root is below 1 and on 1/psi when it is above 1 (the code of
``fisher.test``: ``uniroot(..., c(0, 1))`` or ``1 / uniroot(... 1/t ..., c(eps, 1))``). So R's
printed figures are compared on the scale R searched, within that tolerance (plus its 7 printed
digits); that is a relative 1e-4 or better except for far-out upper limits such as the tea
table's, where R's own figure is 0.7% from the exact one. The exact figures are checked to 1e-8
against an independent computation with exact binomial coefficients in 50-digit decimals.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import nchypergeom_fisher
from scipy.stats.contingency import odds_ratio as scipy_odds_ratio

from trialdesk.stats.analysis.noncentral_hypergeometric import (
    NoncentralHypergeometric,
    conditional_odds_ratio_2x2,
)

R_UNIROOT_TOL = 1.2207e-4  # .Machine$double.eps^0.25
R_PRINTED = 5e-7  # R prints 7 significant digits


def odds_ratio_of(table: list[list[int]], level: float = 0.95):
    (a, b), (c, d) = table
    return conditional_odds_ratio_2x2(a, a + b, a + c, a + b + c + d, level)


def assert_as_r(ours: float, r_value: float) -> None:
    """Equal on the scale R's uniroot searched (psi below 1, 1/psi above), within its tol."""
    if r_value in (0.0, math.inf):
        assert ours == r_value
        return
    if r_value <= 1:
        assert abs(ours - r_value) <= R_UNIROOT_TOL + R_PRINTED * r_value
    else:
        assert abs(1 / ours - 1 / r_value) <= R_UNIROOT_TOL + R_PRINTED / r_value


# Each row: the table (rows as R prints them), conf.level, R's estimate, conf.int, and where the R
# output is published.
R_OUTPUTS = [
    # R documentation of fisher.test (TeaTasting <- matrix(c(3, 1, 1, 3), nrow = 2));
    # fisher.test(TeaTasting) as printed in Penn State STAT 504, lesson 4, TeaLady.out
    # (online.stat.psu.edu): p-value = 0.4857, CI 0.2117329 621.9337505, odds ratio 6.408309.
    ([[3, 1], [1, 3]], 0.95, 6.408309, 0.2117329, 621.9337505),
    # Same source, fisher.test(tea, alternative = "greater"): 95% CI 0.3135693 to Inf; and the
    # README of github.com/Paradigm4/superfunpack (R transcripts of the ?fisher.test examples),
    # fisher.test(TeaTasting, alternative = "less"): 95% CI 0.0000 306.2469. A one-sided 95% limit
    # is the two-sided 90% one.
    ([[3, 1], [1, 3]], 0.90, 6.408309, 0.3135693, 306.2469),
    # R documentation of fisher.test, Fisher's criminal convictions of like-sex twins,
    # Convictions <- matrix(c(2, 10, 15, 3), nrow = 2), as printed in the superfunpack README:
    # fisher.test(Convictions, alternative = "less"): p-value = 0.0004652, 95% CI 0.0000000
    # 0.2849601, odds ratio 0.04693661 (one-sided 95% upper = two-sided 90% upper);
    # fisher.test(Convictions, alternative = "two.sided"): p-value = 0.0005367,
    # 95% CI 0.003325764 0.363182271.
    ([[2, 15], [10, 3]], 0.90, 0.04693661, None, 0.2849601),
    ([[2, 15], [10, 3]], 0.95, 0.04693661, 0.003325764, 0.363182271),
    # matstat.org R course, "Fisher's exact test": fisher.test(matrix(c(2,10,20,13), ncol=2,
    # byrow=T)): p-value = 0.01655, CI 0.01256709 0.78740829, odds ratio 0.1360765.
    ([[2, 10], [20, 13]], 0.95, 0.1360765, 0.01256709, 0.78740829),
    # stats.stackexchange.com question 546277: fisher.test(matrix(c(3, 1, 3, 2), nrow = 2)):
    # p-value = 1, CI 0.06060903 156.52286969, odds ratio 1.852496.
    ([[3, 3], [1, 2]], 0.95, 1.852496, 0.06060903, 156.52286969),
    # RPubs 90315 ("Fisher's Exact Test"): fisher.test(matrix(c(3,14,0,5), ncol = 2,
    # byrow = TRUE)): x at the top of its support: CI 0.112454 Inf, odds ratio Inf.
    ([[3, 14], [0, 5]], 0.95, math.inf, 0.112454, math.inf),
    # tests/stats/analysis/reference/r_reference.out (R 4.x): Shu et al. 2020 deaths, 0/12 vs
    # 3/29: x at the bottom of its support, CI 0 to 5.938964675 (estimate 0).
    ([[0, 12], [3, 26]], 0.95, 0.0, 0.0, 5.938964675),
    # Same file: STROMA-CoV-2 serious adverse events 6/21 vs 6/24: odds ratio 1.195126763,
    # CI 0.2584331057 5.5450077954.
    ([[6, 15], [6, 18]], 0.95, 1.195126763, 0.2584331057, 5.5450077954),
    # Same file: aspirin and MI (Agresti), CI 1.432395668 2.353926926.
    ([[189, 11034 - 189], [104, 11037 - 104]], 0.95, None, 1.432395668, 2.353926926),
]


@pytest.mark.parametrize(("table", "level", "estimate", "lower", "upper"), R_OUTPUTS)
def test_equal_to_r_fisher_test_within_r_root_finding_tolerance(
    table, level, estimate, lower, upper
):
    result = odds_ratio_of(table, level)
    for ours, r_value in ((result.estimate, estimate), (result.lower, lower),
                          (result.upper, upper)):
        if r_value is not None:
            assert_as_r(ours, r_value)


def _high_precision(table: list[list[int]], level: float) -> tuple[Decimal, Decimal, Decimal]:
    """Estimate, lower and upper by bisection on log psi with exact binomial coefficients in
    50-digit decimals: shares no code with the module (no log-density, no Brent)."""
    (a, b), (c, d) = table
    m, n, k, x = a + c, b + d, a + b, a
    lo, hi = max(0, k - n), min(k, m)
    coefficients = {s: math.comb(m, s) * math.comb(n, k - s) for s in range(lo, hi + 1)}
    alpha = Decimal(1 - level) / 2
    with localcontext() as context:
        context.prec = 50

        def moments(log_psi: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
            psi = log_psi.exp()
            weights = {s: Decimal(c_s) * psi**s for s, c_s in coefficients.items()}
            total = sum(weights.values())
            mean = sum(s * w for s, w in weights.items()) / total
            below = sum(w for s, w in weights.items() if s <= x) / total
            above = sum(w for s, w in weights.items() if s >= x) / total
            return mean, below, above, total

        def bisect(value_minus_target, increasing: bool) -> Decimal:
            low, high = Decimal(-60), Decimal(60)
            for _ in range(130):  # width 120 / 2^130: far below 1e-30
                middle = (low + high) / 2
                if (value_minus_target(middle) > 0) == increasing:
                    high = middle
                else:
                    low = middle
            assert -59 < low < 59, "root outside the bracket"
            return ((low + high) / 2).exp()

        estimate = bisect(lambda t: moments(t)[0] - x, True) if lo < x < hi else None
        lower = bisect(lambda t: moments(t)[2] - alpha, True) if x > lo else Decimal(0)
        upper = bisect(lambda t: moments(t)[1] - alpha, False) if x < hi else None
    return estimate, lower, upper


HIGH_PRECISION_TABLES = [
    ([[3, 1], [1, 3]], 0.95),
    ([[3, 1], [1, 3]], 0.90),
    ([[2, 15], [10, 3]], 0.90),
    ([[2, 15], [10, 3]], 0.95),
    ([[2, 10], [20, 13]], 0.95),
    ([[3, 3], [1, 2]], 0.95),
    ([[3, 14], [0, 5]], 0.95),
    ([[0, 12], [3, 26]], 0.95),
    ([[6, 15], [6, 18]], 0.95),
    ([[1, 39], [9, 31]], 0.99),
    ([[17, 3], [2, 18]], 0.80),
]


def _assert_close(ours: float, exact: Decimal | None, edge: float) -> None:
    if exact is None:
        assert ours == edge
    elif exact == 0:
        assert ours == 0.0
    else:
        assert ours == pytest.approx(float(exact), rel=1e-8)


@pytest.mark.parametrize(("table", "level"), HIGH_PRECISION_TABLES)
def test_equal_to_a_fifty_digit_computation_within_1e_8(table, level):
    result = odds_ratio_of(table, level)
    estimate, lower, upper = _high_precision(table, level)
    (a, b), (c, _) = table
    at_top = a == min(a + b, a + c)
    _assert_close(result.estimate, estimate, math.inf if at_top else 0.0)
    _assert_close(result.lower, lower, 0.0)
    _assert_close(result.upper, upper, math.inf)


table_cells = st.lists(st.integers(min_value=0, max_value=25), min_size=4, max_size=4)


@settings(max_examples=25, deadline=None)
@given(table_cells, st.sampled_from([0.8, 0.95, 0.99]))
def test_random_small_tables_equal_the_fifty_digit_computation(cells, level):
    a, b, c, d = cells
    if a + b == 0 or c + d == 0 or a + c == 0 or b + d == 0:
        return  # a zero margin: covered by its own test
    table = [[a, b], [c, d]]
    result = odds_ratio_of(table, level)
    estimate, lower, upper = _high_precision(table, level)
    _assert_close(result.estimate, estimate, math.inf if a == min(a + b, a + c) else 0.0)
    _assert_close(result.lower, lower, 0.0)
    _assert_close(result.upper, upper, math.inf)


counts = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=60, deadline=None)
@given(counts, counts)
def test_same_as_the_scipy_implementation_it_replaces(a, b):
    (xa, na), (xb, nb) = a, b
    if xa + xb in (0, na + nb):
        return
    table = [[xa, na - xa], [xb, nb - xb]]
    ours = odds_ratio_of(table)
    theirs = scipy_odds_ratio(table, kind="conditional")
    interval = theirs.confidence_interval(0.95)
    for mine, scipy_value in ((ours.estimate, theirs.statistic), (ours.lower, interval.low),
                              (ours.upper, interval.high)):
        if scipy_value in (0.0, math.inf):
            assert mine == scipy_value
        else:
            assert mine == pytest.approx(scipy_value, rel=1e-6)


def test_margins_of_fifty_thousand_solve_their_equations():
    # 100,000 participants, 50,000 a group: 10,000 vs 12,500 events. The defining equations are
    # checked with scipy's noncentral hypergeometric (Fog's BiasedUrn code, independent of ours).
    x, row1, col1, total = 10_000, 50_000, 22_500, 100_000
    result = conditional_odds_ratio_2x2(x, row1, col1, total)
    assert nchypergeom_fisher.mean(total, col1, row1, result.estimate) == pytest.approx(x, rel=1e-9)
    below = nchypergeom_fisher.cdf(x, total, col1, row1, result.upper)
    above = nchypergeom_fisher.sf(x - 1, total, col1, row1, result.lower)
    assert below == pytest.approx(0.025, rel=1e-6)
    assert above == pytest.approx(0.025, rel=1e-6)
    # An even split: the estimate is 1 and the limits reciprocal, to rounding.
    even = conditional_odds_ratio_2x2(25_000, 50_000, 50_000, 100_000)
    assert even.estimate == pytest.approx(1.0, abs=1e-12)
    assert even.lower * even.upper == pytest.approx(1.0, rel=1e-10)


def test_a_zero_margin_leaves_the_odds_ratio_undefined_and_the_interval_whole():
    for x, row1, col1, total in ((0, 10, 0, 20), (10, 10, 20, 20), (0, 1, 0, 2)):
        result = conditional_odds_ratio_2x2(x, row1, col1, total)
        assert math.isnan(result.estimate)
        assert (result.lower, result.upper) == (0.0, math.inf)


def test_the_log_density_equals_exact_binomials_far_into_the_tails():
    # margins of 2,000: the ratio-and-sum construction against exact big-integer coefficients.
    m, n, k = 900, 1100, 1000
    distribution = NoncentralHypergeometric(m, n, k, x=450)
    support = range(distribution.lo, distribution.hi + 1)
    exact = [
        math.log(math.comb(m, s)) + math.log(math.comb(n, k - s)) for s in support
    ]
    shift = exact[0] - distribution.log_central[0]
    for s_index in (0, 100, 449, 450, 451, 800, len(exact) - 1):
        assert distribution.log_central[s_index] + shift == pytest.approx(
            exact[s_index], abs=1e-9
        )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((3, 4, 4, 8, 1.0), "confidence level"),
        ((5, 4, 4, 8, 0.95), "outside its support"),
        ((1, 9, 4, 8, 0.95), "not the margins"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        conditional_odds_ratio_2x2(*arguments)
