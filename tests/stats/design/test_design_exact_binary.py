"""Exact operating characteristics of binary group-sequential designs, checked by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from trialdesk.stats.design.boundaries import group_sequential_design
from trialdesk.stats.design.exact_binary import binary_exact_oc, looks_per_arm, score_z


def chi2_z(x_c, n_c, x_t, n_t):
    """Score z from scipy's Pearson chi-square (no continuity correction), signed for benefit."""
    table = [[x_c, n_c - x_c], [x_t, n_t - x_t]]
    if x_c + x_t in (0, n_c + n_t):
        return 0.0
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    return float(np.sign(x_c / n_c - x_t / n_t) * np.sqrt(chi2))


def brute_force(n_c, n_t, pc, pt, upper, lower):
    """Enumerate every sequence of per-look increments; independent of the convolution code."""
    k = len(n_c)
    inc_c = np.diff(n_c, prepend=0)
    inc_t = np.diff(n_t, prepend=0)
    pu, pl = np.zeros(k), np.zeros(k)
    ranges = [range(m + 1) for pair in zip(inc_c, inc_t, strict=True) for m in pair]
    for outcome in itertools.product(*ranges):
        prob = 1.0
        xc = xt = 0
        for j in range(k):
            a, b = outcome[2 * j], outcome[2 * j + 1]
            prob *= stats.binom.pmf(a, inc_c[j], pc) * stats.binom.pmf(b, inc_t[j], pt)
        for j in range(k):
            xc += outcome[2 * j]
            xt += outcome[2 * j + 1]
            z = chi2_z(xc, n_c[j], xt, n_t[j])
            if z >= upper[j]:
                pu[j] += prob
                break
            if z <= lower[j]:
                pl[j] += prob
                break
    return pu, pl


def test_score_z_equals_signed_root_of_pearson_chi_square():
    for x_c, x_t in [(8, 3), (2, 9), (0, 0), (20, 20), (5, 5), (1, 0)]:
        assert float(score_z(x_c, 20, x_t, 20)) == pytest.approx(chi2_z(x_c, 20, x_t, 20))
    assert float(score_z(8, 20, 3, 20, benefit="higher")) == pytest.approx(-chi2_z(8, 20, 3, 20))


@pytest.mark.parametrize(("pc", "pt"), [(0.4, 0.4), (0.5, 0.15)])
def test_three_looks_with_futility_match_brute_force_enumeration(pc, pt):
    n_c, n_t = [3, 5, 7], [3, 6, 7]
    upper, lower = [2.5, 2.2, 1.9], [-1.0, 0.0, 1.9]
    oc = binary_exact_oc(n_c, n_t, pc, pt, upper, lower)
    pu, pl = brute_force(n_c, n_t, pc, pt, upper, lower)
    np.testing.assert_allclose(oc.upper, pu, atol=1e-13)
    np.testing.assert_allclose(oc.lower, pl, atol=1e-13)
    assert oc.upper.sum() + oc.lower.sum() == pytest.approx(1.0)


def test_two_sided_single_look_is_the_exact_chi_square_test():
    n = 20
    bound = stats.norm.isf(0.025)
    oc = binary_exact_oc([n], [n], 0.4, 0.1, [bound], sided=2)
    reject = 0.0
    for xc in range(n + 1):
        for xt in range(n + 1):
            if abs(chi2_z(xc, n, xt, n)) >= bound:
                reject += stats.binom.pmf(xc, n, 0.4) * stats.binom.pmf(xt, n, 0.1)
    assert oc.rejection_probability + oc.lower[0] == pytest.approx(reject, abs=1e-12)


def test_true_size_of_the_normal_approximation_design_is_shown():
    # The benchmark design: 83 per arm, three looks, OBF-type spending, alpha 0.025.
    d = group_sequential_design(3, alpha=0.025)
    n = looks_per_arm(83, d.information_rates)
    assert n == [28, 55, 83]
    oc = binary_exact_oc(n, n, 0.4, 0.4, d.upper)
    # not exactly alpha (discreteness), but close: within 0.003 for these sizes
    assert oc.rejection_probability != pytest.approx(0.025, abs=1e-5)
    assert oc.rejection_probability == pytest.approx(0.025, abs=3e-3)
    # Monte Carlo of the same design agrees within 3 standard errors
    rng = np.random.default_rng(2)
    reps = 200_000
    inc = np.diff([0, *n])
    xc = np.cumsum(np.stack([rng.binomial(m, 0.4, reps) for m in inc], 1), 1)
    xt = np.cumsum(np.stack([rng.binomial(m, 0.4, reps) for m in inc], 1), 1)
    z = score_z(xc, np.array(n), xt, np.array(n))
    mc = (z >= d.upper).any(axis=1).mean()
    se = np.sqrt(oc.rejection_probability * (1 - oc.rejection_probability) / reps)
    assert abs(mc - oc.rejection_probability) < 3 * se


def test_benefit_higher_mirrors_benefit_lower():
    a = binary_exact_oc([10, 20], [10, 20], 0.3, 0.6, [2.5, 2.0], benefit="higher")
    b = binary_exact_oc([10, 20], [10, 20], 0.6, 0.3, [2.5, 2.0], benefit="lower")
    np.testing.assert_allclose(a.upper, b.upper, atol=1e-14)


def test_expected_n_and_validation():
    oc = binary_exact_oc([10, 20], [10, 20], 0.4, 0.1, [2.5, 2.0])
    stop1 = oc.upper[0]
    assert oc.expected_n == pytest.approx(20 * stop1 + 40 * (1 - stop1))
    with pytest.raises(ValueError):
        binary_exact_oc([10, 5], [10, 20], 0.4, 0.1, [2.5, 2.0])
