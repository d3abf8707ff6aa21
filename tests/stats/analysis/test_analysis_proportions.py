"""Two proportions against published examples and R (stats::fisher.test, chisq.test, prop.test).

R figures come from ``reference/r_reference.R`` (its output is ``reference/r_reference.out``).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.stats import norm

from trialdesk.stats.analysis import (
    AnalysisInputError,
    katz_relative_risk,
    newcombe_difference,
    two_proportions,
    two_proportions_from_frame,
    wilson,
)

# Newcombe RG. Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 1998;17:873-890, Table II, method 10 (hybrid score).
# Each row: events a, n a, events b, n b, lower, upper (4 decimals as printed).
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("xa", "na", "xb", "nb", "lower", "upper"), NEWCOMBE_TABLE_II)
def test_newcombe_hybrid_score_matches_newcombe_1998_table_ii(xa, na, xb, nb, lower, upper):
    interval = newcombe_difference(xa, na, xb, nb)
    assert interval.estimate == pytest.approx(xa / na - xb / nb)
    # Published to 4 decimals: tolerance half a unit in the last place.
    assert interval.lower == pytest.approx(lower, abs=5e-5)
    assert interval.upper == pytest.approx(upper, abs=5e-5)


def _wilson_by_root_finding(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson limits as the p where the score statistic |x/n - p| / sqrt(p(1-p)/n) equals z."""
    z = norm.ppf(0.5 + level / 2)
    phat = x / n

    def score(p: float) -> float:
        return (phat - p) ** 2 - z**2 * p * (1 - p) / n

    # score > 0 outside the interval, < 0 inside it (strictly inside (0, 1)).
    lo = 0.0 if x == 0 else brentq(score, 0.0, min(phat, 1 - 1e-12), xtol=1e-14)
    hi = 1.0 if x == n else brentq(score, max(phat, 1e-12), 1.0, xtol=1e-14)
    return lo, hi


@pytest.mark.parametrize(("xa", "na", "xb", "nb"), [r[:4] for r in NEWCOMBE_TABLE_II] + [
    (6, 21, 6, 24), (0, 12, 3, 29), (189, 11034, 104, 11037), (1, 3, 2, 2)])
def test_newcombe_agrees_with_wilson_limits_found_by_root_finding(xa, na, xb, nb):
    la, ua = _wilson_by_root_finding(xa, na)
    lb, ub = _wilson_by_root_finding(xb, nb)
    pa, pb = xa / na, xb / nb
    expected_lower = pa - pb - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    expected_upper = pa - pb + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    interval = newcombe_difference(xa, na, xb, nb)
    assert interval.lower == pytest.approx(expected_lower, abs=1e-9)
    assert interval.upper == pytest.approx(expected_upper, abs=1e-9)
    assert wilson(xa, na).lower == pytest.approx(la, abs=1e-9)
    assert wilson(xa, na).upper == pytest.approx(ua, abs=1e-9)


def test_fisher_tea_tasting_matches_agresti_and_r():
    # Agresti, Categorical Data Analysis (2002), section 3.5.2, tea tasting: two-sided P = 0.486.
    # R: fisher.test(matrix(c(3,1,1,3),2)) -> p 0.4857142857, odds ratio 6.408308867,
    # 95% CI 0.2117329153 to 621.9337505454.
    result = two_proportions(3, 4, 1, 4, test="fisher")
    assert result.test.p_value == pytest.approx(0.4857142857, abs=1e-9)
    assert result.test.name.startswith("Fisher")
    assert result.odds_ratio.estimate == pytest.approx(6.408308867, rel=1e-4)
    assert result.odds_ratio.lower == pytest.approx(0.2117329153, rel=1e-3)
    # The upper limit solves a flat equation far out; scipy and R agree to about 1%.
    assert result.odds_ratio.upper == pytest.approx(621.9337505, rel=0.01)


def test_chi_squared_with_and_without_yates_match_r_on_the_tea_table():
    # R: chisq.test(tea, correct = FALSE): X-squared = 2, p = 0.1572992071;
    # chisq.test(tea): X-squared = 0.5, p = 0.4795001222. By hand: expected 2 in every cell,
    # sum (1^2 / 2) * 4 = 2 and sum (0.5^2 / 2) * 4 = 0.5.
    plain = two_proportions(3, 4, 1, 4, test="chi2").test
    yates = two_proportions(3, 4, 1, 4, test="chi2-yates").test
    assert plain.statistic == pytest.approx(2.0, abs=1e-12)
    assert plain.p_value == pytest.approx(0.1572992071, abs=1e-9)
    assert yates.statistic == pytest.approx(0.5, abs=1e-12)
    assert yates.p_value == pytest.approx(0.4795001222, abs=1e-9)
    assert "Yates" in yates.name and "without" in plain.name


def test_aspirin_and_myocardial_infarction_matches_agresti_and_r():
    # Agresti, An Introduction to Categorical Data Analysis (2007), Table 2.3 (Physicians' Health
    # Study): MI 189 of 11,034 on placebo, 104 of 11,037 on aspirin; relative risk 1.82.
    # R: chisq.test(correct = FALSE) X-squared 25.01388397; Katz CI by formula 1.433030903 to
    # 2.305884232; fisher.test CI of the odds ratio 1.432395668 to 2.353926926.
    result = two_proportions(189, 11034, 104, 11037, test="chi2")
    assert result.relative_risk.estimate == pytest.approx(1.82, abs=0.005)
    assert result.relative_risk.lower == pytest.approx(1.433030903, rel=1e-8)
    assert result.relative_risk.upper == pytest.approx(2.305884232, rel=1e-8)
    assert result.test.statistic == pytest.approx(25.01388397, rel=1e-8)
    assert result.odds_ratio.lower == pytest.approx(1.432395668, rel=1e-4)
    assert result.odds_ratio.upper == pytest.approx(2.353926926, rel=1e-4)


def test_katz_interval_is_its_formula():
    a, na, b, nb = 7, 40, 3, 38
    rr = (a / na) / (b / nb)
    se = math.sqrt(1 / a - 1 / na + 1 / b - 1 / nb)
    z = norm.ppf(0.975)
    interval = katz_relative_risk(a, na, b, nb)
    assert interval.estimate == pytest.approx(rr)
    assert interval.lower == pytest.approx(math.exp(math.log(rr) - z * se))
    assert interval.upper == pytest.approx(math.exp(math.log(rr) + z * se))


def test_shu_2020_28_day_mortality_uses_fisher_by_the_auto_rule():
    # Shu L, et al. Treatment of severe COVID-19 with human umbilical cord mesenchymal stem
    # cells. Stem Cell Res Ther 2020;11:361, Table 3: day-28 mortality 0 of 12 (hUC-MSC) vs
    # 3 of 29 (control), P = 0.543 (the text gives 10.34% for the control group).
    result = two_proportions(0, 12, 3, 29, label_a="hUC-MSC", label_b="control")
    assert result.test.name.startswith("Fisher")  # expected deaths 12 * 3 / 41 = 0.88 < 5
    assert "auto rule" in result.test.chosen_by
    assert result.test.p_value == pytest.approx(0.543, abs=5e-4)
    assert result.test.p_value == pytest.approx(0.5429643527, abs=1e-9)  # R fisher.test
    assert result.b.proportion.estimate == pytest.approx(0.1034, abs=5e-5)
    # No deaths in one group: the Katz ratio adds 0.5 to each cell, and says so.
    assert "0.5 added" in result.relative_risk.method
    assert result.relative_risk.contains(result.relative_risk.estimate)
    assert result.odds_ratio.estimate == 0.0
    assert result.odds_ratio.upper == pytest.approx(5.938964675, rel=1e-3)


def test_stroma_cov_2_serious_adverse_events_use_chi_squared_by_the_auto_rule():
    # Monsel A, et al. (STROMA-CoV-2). Crit Care 2022;26:48, abstract: serious adverse events in
    # 6 of 21 (28.6%) UC-MSC recipients and 6 of 24 (25%) placebo patients.
    # R: chisq.test(correct = FALSE) X-squared 0.07305194805, p 0.7869438977; fisher.test p = 1,
    # odds ratio 1.195126763 (0.2584331057 to 5.5450077954); Newcombe -0.2120302631 to 0.2859806751.
    result = two_proportions(6, 21, 6, 24, label_a="UC-MSC", label_b="placebo", outcome="SAE")
    assert round(100 * result.a.proportion.estimate, 1) == 28.6
    assert round(100 * result.b.proportion.estimate, 1) == 25.0
    assert result.test.min_expected == pytest.approx(12 * 21 / 45)  # 5.6: chi-squared
    assert result.test.name.startswith("Pearson")
    assert result.test.statistic == pytest.approx(0.07305194805, rel=1e-8)
    assert result.test.p_value == pytest.approx(0.7869438977, rel=1e-8)
    assert result.risk_difference.lower == pytest.approx(-0.2120302631, abs=1e-9)
    assert result.risk_difference.upper == pytest.approx(0.2859806751, abs=1e-9)
    assert result.odds_ratio.estimate == pytest.approx(1.195126763, rel=1e-5)
    assert result.odds_ratio.lower == pytest.approx(0.2584331057, rel=1e-3)
    assert result.odds_ratio.upper == pytest.approx(5.5450077954, rel=1e-3)
    fisher = two_proportions(6, 21, 6, 24, test="fisher")
    assert fisher.test.p_value == pytest.approx(1.0)


def test_every_table_names_its_test_and_methods():
    text = two_proportions(6, 21, 6, 24, label_a="group 1", label_b="group 2").to_text()
    assert "Test: Pearson's chi-squared test without continuity correction" in text
    assert "Newcombe hybrid score" in text and "Katz log interval" in text
    assert "Wilson" in text
    text = two_proportions(0, 12, 3, 29, test="chi2-yates").to_text()
    assert "Yates' continuity correction" in text and "--test chi2-yates" in text


def test_json_holds_every_figure_of_the_table():
    result = two_proportions(6, 21, 6, 24, label_a="group 1", label_b="group 2")
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["a"]["label"] == "group 1"
    assert data["a"]["events"] == 6 and data["b"]["n"] == 24
    for key in ("risk_difference", "relative_risk", "odds_ratio"):
        assert set(data[key]) >= {"estimate", "lower", "upper", "method"}
    assert data["test"]["p_value"] == pytest.approx(result.test.p_value)
    assert data["test"]["statistic"] == pytest.approx(result.test.statistic)
    assert data["test"]["name"] == result.test.name


def test_undefined_quantities_are_null_in_json_not_nan():
    result = two_proportions(0, 10, 0, 10, test="chi2")
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["relative_risk"]["estimate"] is None
    assert data["test"]["p_value"] is None
    assert "not defined" in data["test"]["note"]


def test_from_frame_counts_events_keeps_coded_labels_and_counts_missing():
    frame = pd.DataFrame(
        {
            "arm": ["group 2"] * 5 + ["group 1"] * 5 + [None, "group 1"],
            "died": [1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, None],
        }
    )
    result = two_proportions_from_frame(frame, group="arm", event="died")
    assert (result.a.label, result.b.label) == ("group 1", "group 2")
    assert (result.a.events, result.a.n, result.b.events, result.b.n) == (2, 5, 1, 5)
    assert result.missing.rows_excluded == 2
    assert result.missing.by_column == {"arm": 1, "died": 1}
    swapped = two_proportions_from_frame(frame, group="arm", event="died",
                                         groups=["group 2", "group 1"])
    assert swapped.a.label == "group 2"


@pytest.mark.parametrize(
    ("frame", "column", "rule"),
    [
        (pd.DataFrame({"arm": ["x", "y"], "died": [0, 2]}), "died", "must be 0 or 1"),
        (pd.DataFrame({"arm": ["x", "y", "z"], "died": [0, 1, 1]}), "arm", "exactly two groups"),
        (pd.DataFrame({"arm": ["x", "x"], "died": [0, 1]}), "arm", "exactly two groups"),
        (pd.DataFrame({"group": ["x", "y"], "died": [0, 1]}), "arm", "not in the data"),
    ],
)
def test_bad_input_names_the_column_and_the_rule(frame, column, rule):
    with pytest.raises(AnalysisInputError) as error:
        two_proportions_from_frame(frame, group="arm", event="died")
    assert error.value.column == column
    assert rule in error.value.rule


counts = st.integers(min_value=1, max_value=300).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=150, deadline=None)
@given(counts, counts)
def test_intervals_contain_estimates_and_swapping_groups_flips_them(a, b):
    (xa, na), (xb, nb) = a, b
    forward = two_proportions(xa, na, xb, nb, label_a="g1", label_b="g2", test="fisher")
    backward = two_proportions(xb, nb, xa, na, label_a="g2", label_b="g1", test="fisher")
    rd = forward.risk_difference
    assert -1.0 <= rd.lower <= rd.estimate <= rd.upper <= 1.0
    assert backward.risk_difference.estimate == pytest.approx(-rd.estimate, abs=1e-12)
    assert backward.risk_difference.lower == pytest.approx(-rd.upper, abs=1e-12)
    assert backward.risk_difference.upper == pytest.approx(-rd.lower, abs=1e-12)
    for g in (forward.a, forward.b):
        assert g.proportion.lower <= g.proportion.estimate <= g.proportion.upper
    rr, rr_back = forward.relative_risk, backward.relative_risk
    if not math.isnan(rr.estimate):
        assert rr.lower <= rr.estimate * (1 + 1e-12) and rr.estimate <= rr.upper * (1 + 1e-12)
        assert rr_back.estimate == pytest.approx(1 / rr.estimate, rel=1e-9)
        assert rr_back.lower == pytest.approx(1 / rr.upper, rel=1e-9)
    orr, or_back = forward.odds_ratio, backward.odds_ratio
    if not math.isnan(orr.estimate):
        assert orr.lower <= orr.estimate <= orr.upper
        if 0 < orr.estimate < math.inf:
            assert or_back.estimate == pytest.approx(1 / orr.estimate, rel=1e-4)
    assert backward.test.p_value == pytest.approx(forward.test.p_value, rel=1e-9)


def test_newcombe_never_leaves_minus_one_to_one_at_the_extremes():
    for n in (1, 2, 5, 30):
        for xa in (0, n):
            for xb in (0, n):
                for level in (0.8, 0.95, 0.999):
                    interval = newcombe_difference(xa, n, xb, n, level)
                    assert -1.0 <= interval.lower <= interval.estimate <= interval.upper <= 1.0


def test_wilson_limits_bracket_the_proportion_at_any_level():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 500))
        x = int(rng.integers(0, n + 1))
        w = wilson(x, n, float(rng.uniform(0.5, 0.999)))
        assert 0.0 <= w.lower <= x / n <= w.upper <= 1.0
