"""The censored-likelihood (Tobit) geometric means: the ordinary fit without censoring, the
maximum where the score is zero, and a large sample recovering what it was drawn from where
LLOQ/2 substitution does not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trialdesk.stats.analysis.censored import (
    _neg_loglik,
    censored_geometric_means,
    censored_normal_fit,
)


def test_without_censoring_the_fit_is_the_mean_of_the_logs():
    logs = np.log([2.0, 4.0, 8.0, 16.0])
    fit = censored_normal_fit(logs, np.array([]))
    assert math.exp(fit.mean) == pytest.approx(1024 ** 0.25)  # (2 * 4 * 8 * 16)^(1/4)
    assert fit.sd == pytest.approx(float(np.std(logs)))
    assert fit.censored == 0


def test_the_estimate_is_a_maximum_of_the_censored_likelihood():
    observed, limits = np.log([3.0, 5.0, 9.0, 4.0, 12.0]), np.log([2.0, 2.0])
    fit = censored_normal_fit(observed, limits)
    best = np.array([fit.mean, math.log(fit.sd)])
    at_best = _neg_loglik(best, observed, limits)
    for shift in ([1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]):
        assert _neg_loglik(best + np.array(shift), observed, limits) > at_best
    assert fit.loglik == pytest.approx(-at_best)
    # the censored values pull the mean below that of the observed ones alone
    assert fit.mean < float(observed.mean())


def test_a_large_sample_recovers_the_truth_where_half_the_limit_does_not():
    rng = np.random.default_rng(20260316)
    mu, sigma, limit = math.log(4.0), 1.0, 6.0
    values = np.exp(rng.normal(mu, sigma, 4000))
    below = values < limit  # about 66% censored
    fit = censored_normal_fit(np.log(values[~below]), np.full(int(below.sum()), math.log(limit)))
    assert fit.mean == pytest.approx(mu, abs=0.05) and fit.sd == pytest.approx(sigma, abs=0.05)
    substituted = np.log(np.where(below, limit / 2, values))
    assert abs(float(substituted.mean()) - mu) > 0.1 and abs(float(substituted.std()) - sigma) > 0.2


def test_by_group_and_day_with_censored_text_and_an_all_censored_cell():
    frame = pd.DataFrame({
        "group": ["a"] * 4 + ["b"] * 4,
        "day": [0, 0, 0, 0, 0, 0, 0, 0],
        "il6": [4.0, 8.0, "<2", 16.0, "<2", "<2", "<2", "<2"],
    })
    rows = {r.group: r for r in censored_geometric_means(frame, group="group", day="day",
                                                         value="il6", lod=2.0)}
    assert rows["a"].below == 1 and rows["a"].geometric_mean < (4 * 8 * 16) ** (1 / 3)
    assert rows["a"].lower < rows["a"].geometric_mean < rows["a"].upper
    assert rows["b"].geometric_mean is None and rows["b"].below == 4
