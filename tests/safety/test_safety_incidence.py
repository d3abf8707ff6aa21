"""Incidence with Clopper-Pearson intervals, risk differences with Newcombe's interval.

Published figures, each with its source beside it, plus an independent computation of the exact
interval from its definition with scipy's beta quantiles and an exact coverage check.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trialdesk.safety.incidence import (
    CLOPPER_PEARSON,
    Incidence,
    RiskDifference,
    incidence,
    risk_difference,
)

# Newcombe RG (1998). Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Statistics in Medicine 17:873-890. Table II, method 10 (score
# interval for each proportion, combined: the "hybrid score" interval), 95% limits to 4 places.
NEWCOMBE_1998_TABLE_II_METHOD_10 = [
    # (x, m, y, n): x/m - y/n, lower, upper
    ((56, 70, 48, 80), 0.0524, 0.3339),
    ((9, 10, 3, 10), 0.1705, 0.8090),
    ((6, 7, 2, 7), 0.0582, 0.8062),
    ((5, 56, 0, 29), -0.0381, 0.1926),
    ((0, 10, 0, 20), -0.1611, 0.2775),
    ((0, 10, 0, 10), -0.2775, 0.2775),
    ((10, 10, 0, 20), 0.6791, 1.0000),
    ((10, 10, 0, 10), 0.6075, 1.0000),
]


@pytest.mark.parametrize(("counts", "lower", "upper"), NEWCOMBE_1998_TABLE_II_METHOD_10)
def test_risk_difference_newcombe_1998_table_ii(counts, lower, upper):
    x, m, y, n = counts
    result = risk_difference(x, m, y, n)
    assert isinstance(result, RiskDifference)
    assert result.difference == pytest.approx(x / m - y / n)
    assert round(result.lower, 4) == pytest.approx(lower, abs=1e-9)
    assert round(result.upper, 4) == pytest.approx(upper, abs=1e-9)
    assert "Newcombe" in result.method and "method 10" in result.method


def test_risk_difference_is_antisymmetric_and_follows_the_level():
    ab = risk_difference(6, 7, 2, 7)
    ba = risk_difference(2, 7, 6, 7)
    assert (ba.difference, ba.lower, ba.upper) == pytest.approx(
        (-ab.difference, -ab.upper, -ab.lower)
    )
    narrow = risk_difference(6, 7, 2, 7, level=0.80)
    assert ab.lower < narrow.lower < narrow.upper < ab.upper
    assert narrow.level == 0.80
    assert ab.to_dict()["events_a"] == 6 and ab.to_dict()["n_b"] == 7


# Clopper-Pearson ("exact") 95% intervals.
# - Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of
#   seven methods. Statistics in Medicine 17:857-872. Table I, method 5 (exact): 0/20 gives
#   0.0000 to 0.1684; 1/29 gives 0.0009 to 0.1776.
# - R, ?binom.test, example (Mendel's peas, 682 giant of 925): "95 percent confidence interval:
#   0.7076683 0.7654066" (binom.test gives the Clopper-Pearson interval).
PUBLISHED_CLOPPER_PEARSON = [
    ((0, 20), (0.0000, 0.1684), 4),
    ((1, 29), (0.0009, 0.1776), 4),
    ((682, 925), (0.7076683, 0.7654066), 7),
]


@pytest.mark.parametrize(("counts", "limits", "places"), PUBLISHED_CLOPPER_PEARSON)
def test_incidence_published_clopper_pearson(counts, limits, places):
    result = incidence(*counts)
    assert isinstance(result, Incidence)
    assert result.proportion == pytest.approx(counts[0] / counts[1])
    assert round(result.lower, places) == pytest.approx(limits[0], abs=1e-12)
    assert round(result.upper, places) == pytest.approx(limits[1], abs=1e-12)
    assert result.method == CLOPPER_PEARSON


@pytest.mark.parametrize("level", [0.80, 0.90, 0.95, 0.99])
def test_incidence_matches_the_beta_quantile_definition(level):
    # Clopper and Pearson (1934): lower = Beta(x, n - x + 1) quantile at alpha/2,
    # upper = Beta(x + 1, n - x) quantile at 1 - alpha/2; 0 and 1 at the ends
    alpha = 1 - level
    for n in (1, 2, 5, 13, 20, 40):
        for x in range(n + 1):
            result = incidence(x, n, level)
            lower = 0.0 if x == 0 else stats.beta.ppf(alpha / 2, x, n - x + 1)
            upper = 1.0 if x == n else stats.beta.ppf(1 - alpha / 2, x + 1, n - x)
            assert result.lower == pytest.approx(lower, abs=1e-10)
            assert result.upper == pytest.approx(upper, abs=1e-10)
            assert result.lower <= result.proportion <= result.upper
            assert result.level == level


def test_incidence_closed_forms_at_zero_and_all():
    # no events of n: upper = 1 - (alpha/2)^(1/n); all n: lower = (alpha/2)^(1/n)
    none = incidence(0, 20)
    assert none.lower == 0.0 and none.upper == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-10)
    every = incidence(20, 20)
    assert every.upper == 1.0 and every.lower == pytest.approx(0.025 ** (1 / 20), rel=1e-10)


def test_clopper_pearson_never_undercovers():
    # exact coverage at n = 20 over a grid of true rates: at least 95% everywhere (conservative)
    n = 20
    xs = np.arange(n + 1)
    intervals = [incidence(int(x), n) for x in xs]
    lo = np.array([i.lower for i in intervals])
    hi = np.array([i.upper for i in intervals])
    for p in np.linspace(0.005, 0.995, 199):
        covered = (lo <= p) & (p <= hi)
        coverage = stats.binom.pmf(xs, n, p)[covered].sum()
        assert coverage >= 0.95 - 1e-12, p


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: incidence(3, 0), "n"),
        (lambda: incidence(5, 4), "events"),
        (lambda: incidence(-1, 4), "events"),
        (lambda: incidence(1.5, 4), "events"),
        (lambda: incidence(1, 4, level=1.0), "level"),
        (lambda: incidence(1, 4, level=95), "level"),
        (lambda: risk_difference(1, 4, 5, 4), "events_b"),
        (lambda: risk_difference(1, 0, 0, 4), "n_a"),
        (lambda: risk_difference(1, 4, 0, 4, level=0), "level"),
    ],
)
def test_inputs_refused_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=f"^{message}:"):
        call()


def test_to_dict_holds_every_figure():
    d = incidence(3, 20).to_dict()
    assert set(d) == {"events", "n", "proportion", "lower", "upper", "level", "method"}
    assert d["events"] == 3 and d["n"] == 20 and d["proportion"] == 0.15
