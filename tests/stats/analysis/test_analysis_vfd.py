"""Ventilator-free days: derivation, Mann-Whitney and Hodges-Lehmann against R and brute force.

R figures come from ``reference/r_reference.R`` (output in ``reference/r_reference.out``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.stats.analysis import (
    AnalysisInputError,
    derive_ventilator_free_days,
    hodges_lehmann,
    rank_comparison,
    ventilator_free_days,
    ventilator_free_days_analysis,
)
from trialdesk.stats.analysis.hodges_lehmann import kth_pairwise_difference, pwilcox, qwilcox

# R's ?wilcox.test example (Hollander and Wolfe): no ties, exact.
X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
Y = [1.15, 0.88, 0.90, 0.74, 1.21]
# Ventilator-free days with ties (zeros: deaths), normal approximation.
VFD_A = [0, 0, 0, 12, 15, 18, 20, 21, 22, 22, 23, 24, 25, 0, 19]
VFD_B = [0, 0, 0, 0, 5, 10, 14, 16, 18, 18, 20, 21, 0, 0, 12, 17]


def _frame(a, b, labels=("group 1", "group 2")):
    arm = [labels[0]] * len(a) + [labels[1]] * len(b)
    return pd.DataFrame({"vfd": list(a) + list(b), "arm": arm})


def test_exact_interval_and_test_match_r_wilcox_test():
    # R: wilcox.test(x, y, conf.int = TRUE): W = 35, p-value = 0.2544122544,
    # 95 percent CI -0.15 to 0.76, difference in location 0.305.
    result = rank_comparison(_frame(X, Y), value="vfd", group="arm")
    assert result.test.u_statistic == 35
    assert result.test.p_value == pytest.approx(0.2544122544, abs=1e-9)
    assert "exact" in result.test.method
    assert result.shift.estimate == pytest.approx(0.305, abs=1e-12)
    assert result.shift.lower == pytest.approx(-0.15, abs=1e-12)
    assert result.shift.upper == pytest.approx(0.76, abs=1e-12)
    assert result.shift.interval_method.startswith("exact")


def test_normal_approximation_with_ties_matches_r_wilcox_test():
    # R: wilcox.test(a, b, conf.int = TRUE) (ties): W = 167.5, p-value = 0.05860954317,
    # CI -6.795e-05 to 13.00006, estimate 4.99992. R finds these by uniroot to 1e-4; they are the
    # pairwise differences 0, 13 and 5, which this implementation returns exactly.
    result = ventilator_free_days_analysis(_frame(VFD_A, VFD_B), vfd="vfd", group="arm")
    assert result.test.u_statistic == 167.5
    assert result.test.p_value == pytest.approx(0.05860954317, abs=1e-9)
    assert "normal approximation" in result.test.method
    assert result.shift.lower == pytest.approx(-6.795074397e-05, abs=2e-4)
    assert result.shift.upper == pytest.approx(13.00005644, abs=2e-4)
    assert result.shift.estimate == pytest.approx(4.999919621, abs=2e-4)
    assert result.shift.interval_method.startswith("normal approximation")
    assert result.a.zero_count == 4 and result.b.zero_count == 6


def test_hodges_lehmann_estimate_is_the_median_of_all_pairwise_differences():
    rng = np.random.default_rng(1)
    for n_a, n_b in [(1, 1), (3, 4), (17, 9), (40, 61), (600, 500)]:
        a = rng.integers(0, 29, n_a).astype(float)
        b = rng.normal(10, 5, n_b)
        differences = np.subtract.outer(a, b).ravel()
        assert hodges_lehmann(a, b).estimate == pytest.approx(np.median(differences), abs=1e-12)


def test_kth_pairwise_difference_by_counting_equals_sorting():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 29, 700).astype(float)
    b = rng.integers(0, 29, 800).astype(float)
    sorted_differences = np.sort(np.subtract.outer(a, b).ravel())
    for k in (1, 2, 1000, len(sorted_differences) // 2, len(sorted_differences)):
        assert kth_pairwise_difference(a, b, k) == sorted_differences[k - 1]
    c, d = rng.normal(size=600), rng.normal(size=700)
    sorted_differences = np.sort(np.subtract.outer(c, d).ravel())
    for k in (1, 77, len(sorted_differences) // 3, len(sorted_differences)):
        assert kth_pairwise_difference(c, d, k) == sorted_differences[k - 1]


def test_exact_null_distribution_by_enumeration():
    # P(U <= q) for n_a = 4, n_b = 3 by enumerating all C(7, 4) = 35 rank sets.
    n_a, n_b = 4, 3
    counts = np.zeros(n_a * n_b + 1)
    for ranks in itertools.combinations(range(1, n_a + n_b + 1), n_a):
        counts[sum(ranks) - n_a * (n_a + 1) // 2] += 1
    cdf = np.cumsum(counts) / counts.sum()
    for q in range(n_a * n_b + 1):
        assert pwilcox(q, n_a, n_b) == pytest.approx(cdf[q], abs=1e-12)
    # R: qwilcox(0.025, 10, 5) = 9, pwilcox(8, 10, 5) = 0.01998002.
    assert qwilcox(0.025, 10, 5) == 9
    assert pwilcox(8, 10, 5) == pytest.approx(0.01998002, abs=1e-8)


def test_exact_interval_covers_at_the_stated_level_by_its_definition():
    # Bauer (1972): [D_(k), D_(nm+1-k)] with k = qwilcox(alpha/2) has coverage 1 - 2 P(U < k).
    result = hodges_lehmann(X, Y)
    k = qwilcox(0.025, 10, 5)
    assert result.achieved_level == pytest.approx(1 - 2 * pwilcox(k - 1, 10, 5))
    d = np.sort(np.subtract.outer(X, Y).ravel())
    assert (result.lower, result.upper) == (d[k - 1], d[50 - k])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 28), min_size=2, max_size=30),
    st.lists(st.integers(0, 28), min_size=2, max_size=30),
)
def test_shift_interval_contains_estimate_and_swapping_groups_flips_it(a, b):
    forward = hodges_lehmann(a, b)
    backward = hodges_lehmann(b, a)
    assert forward.lower <= forward.estimate <= forward.upper
    assert backward.estimate == pytest.approx(-forward.estimate)
    assert backward.lower == pytest.approx(-forward.upper)
    assert backward.upper == pytest.approx(-forward.lower)


def test_ventilator_free_days_derivation_rules():
    assert ventilator_free_days([], None) == 28  # never ventilated, alive
    assert ventilator_free_days([(0, 5)], None) == 23
    assert ventilator_free_days([(0, 5), (3, 8)], None) == 20  # overlap counted once
    assert ventilator_free_days([(0, 5), (10, 12)], None) == 21
    assert ventilator_free_days([(2, None)], None) == 2  # still ventilated at day 28
    assert ventilator_free_days([(0, 5)], 20) == 0  # died before day 28
    assert ventilator_free_days([(0, 5)], 28) == 0  # died on day 28: counts as a death
    assert ventilator_free_days([(0, 5)], 40) == 23  # died after the horizon
    assert ventilator_free_days([(-1, 3), (25, 35)], None) == 22  # clipped to day 0..28
    with pytest.raises(ValueError, match="before it starts"):
        ventilator_free_days([(5, 2)], None)


def test_derive_from_one_row_per_ventilation_period():
    periods = pd.DataFrame(
        {
            "pid": ["p1", "p1", "p2", "p3", "p4"],
            "start": [0, 10, None, 1, 0],
            "stop": [4, 12, None, None, 3],
            "death": [None, None, None, None, 9],
        }
    )
    days = derive_ventilator_free_days(
        periods, participant="pid", start="start", stop="stop", death_day="death"
    )
    assert days.to_dict() == {"p1": 22.0, "p2": 28.0, "p3": 1.0, "p4": 0.0}


def test_vfd_outside_zero_to_28_is_refused():
    frame = _frame([0, 30], [1, 2])
    with pytest.raises(AnalysisInputError) as error:
        ventilator_free_days_analysis(frame, vfd="vfd", group="arm")
    assert error.value.column == "vfd" and "between 0 and 28" in error.value.rule


def test_text_and_json_name_the_methods():
    result = ventilator_free_days_analysis(_frame(VFD_A, VFD_B), vfd="vfd", group="arm")
    text = result.to_text()
    assert "Mann-Whitney U = 167.5" in text and "Hodges-Lehmann shift (group 1 - group 2)" in text
    data = result.to_dict()
    assert data["shift"]["interval_method"].startswith("normal approximation")
    assert math.isclose(data["test"]["p_value"], result.test.p_value)


def test_groups_of_one_value_each_give_a_degenerate_interval_where_r_stops():
    # R: wilcox.test(c(0, 0), c(1, 1), conf.int = TRUE) stops with an error.
    result = hodges_lehmann([0, 0], [1, 1])
    assert (result.estimate, result.lower, result.upper) == (-1, -1, -1)
    assert result.interval_method.startswith("degenerate")
