"""Beta-binomial posterior and predictive probabilities (Lee and Liu 2008)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trialdesk.stats.design.bayes import (
    posterior_boundary_table,
    posterior_probability,
    predictive_boundaries,
    predictive_probability,
    predictive_probability_two_arm,
    prob_treatment_better,
)


def test_predictive_probability_matches_lee_and_liu_2008_example():
    # Lee and Liu (2008), Clin Trials 5:93-106, section 2 example: Nmax = 40, p0 = 0.6,
    # prior Beta(0.6, 0.4), theta_T = 0.90; after 16 responses in 23 patients PP = 0.5656.
    pp = predictive_probability(16, 23, 40, 0.6, 0.9, a=0.6, b=0.4)
    assert pp == pytest.approx(0.5656, abs=1e-4)


def test_predictive_probability_by_monte_carlo():
    rng = np.random.default_rng(3)
    x, n, n_max, p0, theta = 7, 15, 30, 0.4, 0.85
    p = rng.beta(1 + x, 1 + n - x, 200_000)
    y = rng.binomial(n_max - n, p)
    success = stats.beta.sf(p0, 1 + x + y, 1 + n_max - x - y) > theta
    pp = predictive_probability(x, n, n_max, p0, theta)
    assert abs(success.mean() - pp) < 4 * np.sqrt(pp * (1 - pp) / 200_000)


def test_posterior_probability_is_the_beta_tail():
    assert posterior_probability(3, 10, 0.2, a=0.5, b=0.5) == pytest.approx(
        stats.beta.sf(0.2, 3.5, 7.5)
    )
    assert posterior_probability(3, 10, 0.2, direction="less") == pytest.approx(
        stats.beta.cdf(0.2, 4, 8)
    )
    with pytest.raises(ValueError):
        posterior_probability(11, 10, 0.2)


def test_predictive_boundaries_are_monotone_and_consistent():
    rows = predictive_boundaries(
        [10, 20, 30], 40, 0.6, 0.9, a=0.6, b=0.4, theta_l=0.001, theta_u=0.999
    )
    for row in rows:
        if row.futility_at_most is not None:
            x = row.futility_at_most
            assert predictive_probability(x, row.n, 40, 0.6, 0.9, a=0.6, b=0.4) < 0.001
            assert predictive_probability(x + 1, row.n, 40, 0.6, 0.9, a=0.6, b=0.4) >= 0.001
    fut = [r.futility_at_most for r in rows]
    assert fut == sorted(fut)


def test_safety_table_is_the_smallest_count_exceeding_certainty():
    table = posterior_boundary_table([5, 10, 20, 40], 0.3, 0.8)
    for n, x in table:
        assert posterior_probability(x, n, 0.3) > 0.8
        assert posterior_probability(x - 1, n, 0.3) <= 0.8
    assert [x for _, x in table] == sorted(x for _, x in table)


def test_two_arm_probability_by_monte_carlo_and_symmetry():
    rng = np.random.default_rng(9)
    pc = rng.beta(1 + 8, 1 + 12, 400_000)
    pt = rng.beta(1 + 3, 1 + 17, 400_000)
    p = float(prob_treatment_better(8, 20, 3, 20))
    assert abs((pt < pc).mean() - p) < 4 * np.sqrt(p * (1 - p) / 400_000)
    assert float(prob_treatment_better(4, 10, 4, 10, a=0.5, b=0.5)) == pytest.approx(0.5, abs=1e-6)
    assert float(prob_treatment_better(8, 20, 3, 20, benefit="higher")) == pytest.approx(1 - p)


def test_two_arm_predictive_probability_by_monte_carlo():
    rng = np.random.default_rng(4)
    reps = 4000
    pc = rng.beta(1 + 4, 1 + 6, reps)
    pt = rng.beta(1 + 2, 1 + 8, reps)
    yc = rng.binomial(10, pc)
    yt = rng.binomial(10, pt)
    final = prob_treatment_better(4 + yc, 20, 2 + yt, 20)
    mc = (final > 0.9).mean()
    pp = predictive_probability_two_arm(4, 10, 2, 10, 20, 0.9)
    assert abs(mc - pp) < 4 * np.sqrt(pp * (1 - pp) / reps)
