"""Change from baseline (ANCOVA) against R's lm and the normal equations.

R figures come from ``reference/r_reference.R`` (output in ``reference/r_reference.out``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialdesk.stats.analysis import AnalysisInputError, change_from_baseline

PF = pd.DataFrame(
    {
        "arm": ["group 1"] * 11 + ["group 2"] * 10,
        "pf_d0": [110, 95, 150, 130, 88, 160, 120, 105, 140, 99, 118,
                  100, 125, 90, 145, 115, 135, 108, 97, 128, 112],
        "pf_d7": [180, 120, 210, None, 150, 230, 160, 140, 200, 130, 175,
                  130, 170, 100, 190, 140, None, 150, 115, 160, 150],
    }
)


def test_ancova_matches_r_lm():
    # R: lm(I(f - b) ~ ga + b): ga 17.1616161616 (se 5.6074261750, t 3.0605157564,
    # p 0.007472620218), b 0.4203323558; confint 5.274403698 to 29.048828625 on 16 df.
    result = change_from_baseline(PF, group="arm", baseline="pf_d0", followup="pf_d7")
    d = result.difference
    assert d.estimate == pytest.approx(17.1616161616, abs=1e-8)
    assert d.se == pytest.approx(5.6074261750, abs=1e-8)
    assert d.t == pytest.approx(3.0605157564, abs=1e-8)
    assert d.p_value == pytest.approx(0.007472620218, abs=1e-10)
    assert (d.lower, d.upper) == (pytest.approx(5.274403698), pytest.approx(29.048828625))
    assert d.df == 16
    assert d.baseline_slope == pytest.approx(0.4203323558, abs=1e-9)
    assert result.missing.rows_excluded == 2
    assert result.missing.by_column["pf_d7"] == 2


def test_ancova_equals_the_normal_equations():
    data = PF.dropna()
    y = (data["pf_d7"] - data["pf_d0"]).to_numpy(float)
    X = np.column_stack([np.ones(len(y)), (data["arm"] == "group 1").astype(float), data["pf_d0"]])
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    result = change_from_baseline(PF, group="arm", baseline="pf_d0", followup="pf_d7")
    assert result.difference.estimate == pytest.approx(beta[1], abs=1e-9)
    # Same treatment effect whether the outcome is the change or the follow-up value.
    beta_followup = np.linalg.solve(X.T @ X, X.T @ data["pf_d7"].to_numpy(float))
    assert beta_followup[1] == pytest.approx(beta[1], abs=1e-9)


def test_swapping_groups_flips_the_difference_and_the_interval():
    forward = change_from_baseline(PF, group="arm", baseline="pf_d0", followup="pf_d7").difference
    backward = change_from_baseline(
        PF, group="arm", baseline="pf_d0", followup="pf_d7", groups=["group 2", "group 1"]
    ).difference
    assert backward.estimate == pytest.approx(-forward.estimate)
    assert backward.lower == pytest.approx(-forward.upper)
    assert forward.lower <= forward.estimate <= forward.upper


def test_text_shows_group_means_and_the_method():
    text = change_from_baseline(PF, group="arm", baseline="pf_d0", followup="pf_d7").to_text()
    assert "ANCOVA" in text and "group 1 - group 2" in text
    assert "Missing data: 2 of 21 rows excluded" in text


def test_non_numeric_baseline_is_refused():
    frame = PF.astype({"pf_d0": object})
    frame.loc[0, "pf_d0"] = "high"
    with pytest.raises(AnalysisInputError) as error:
        change_from_baseline(frame, group="arm", baseline="pf_d0", followup="pf_d7")
    assert error.value.column == "pf_d0" and "numeric" in error.value.rule
