"""Time to event against R's survival package, a Kaplan-Meier by hand, and the CDISC pilot ADTTE.

R figures come from ``reference/r_reference.R`` (output in ``reference/r_reference.out``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from trialdesk.stats.analysis import AnalysisInputError, survival_analysis

# R's survival::aml: acute myelogenous leukemia, weeks to relapse, status 1 = relapse.
AML = pd.DataFrame(
    {
        "time": [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33,
                 43, 45],
        "status": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
        "x": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
    }
)

def _aml():
    return survival_analysis(
        AML, time="time", event="status", group="x", groups=["Nonmaintained", "Maintained"],
        at=[10, 30],
    )


def test_logrank_and_cox_match_r_survival_on_aml():
    # R: survdiff(Surv(time, status) ~ x, data = aml): Chisq = 3.396388699 (printed 3.4, p 0.07);
    # coxph: coef 0.915532575, se 0.5119342752, exp(coef) 2.498 (0.9159072574 to 6.8134957661),
    # Wald p 0.07371486064.
    result = _aml()
    assert result.logrank.statistic == pytest.approx(3.396388699, rel=1e-6)
    assert result.logrank.p_value == pytest.approx(0.06534, abs=5e-5)
    hr = result.hazard_ratio
    assert hr.coef == pytest.approx(0.915532575, abs=1e-5)
    assert hr.se == pytest.approx(0.5119342752, abs=1e-5)
    assert hr.estimate == pytest.approx(2.4981, abs=1e-4)
    assert hr.lower == pytest.approx(0.9159072574, rel=1e-4)
    assert hr.upper == pytest.approx(6.8134957661, rel=1e-4)
    assert hr.p_value == pytest.approx(0.07371486064, rel=1e-4)
    assert "Efron" in hr.method


def test_kaplan_meier_medians_and_survival_at_times_match_r_on_aml():
    # R: survfit(..., conf.type = "log-log"): median 31 (13, NA) Maintained, 23 (5, 33)
    # Nonmaintained; summary(times = c(10, 30)) below.
    result = _aml()
    non, maint = result.a, result.b
    assert (maint.median, maint.median_lower, maint.median_upper) == (31, 13, None)
    assert (non.median, non.median_lower, non.median_upper) == (23, 5, 33)
    expected = {
        ("Maintained", 10): (10, 0.9090909091, 0.50808020577, 0.9866738227),
        ("Maintained", 30): (5, 0.6136363636, 0.26575204000, 0.8352992433),
        ("Nonmaintained", 10): (8, 0.6666666667, 0.33701893254, 0.8597117991),
        ("Nonmaintained", 30): (4, 0.2916666667, 0.07240160891, 0.5608860527),
    }
    for g in (non, maint):
        for s in g.at_times:
            at_risk, surv, lower, upper = expected[(g.label, s.time)]
            assert s.at_risk == at_risk
            assert s.survival == pytest.approx(surv, abs=1e-9)
            assert s.lower == pytest.approx(lower, abs=1e-7)
            assert s.upper == pytest.approx(upper, abs=1e-7)


def test_kaplan_meier_equals_a_hand_computation_on_tiny_data():
    # Group x: times 2, 3+, 5, 5, 8+ ; product-limit by hand:
    # t=2: 4/5; t=5: two deaths of 3 at risk -> 4/5 * 1/3. Greenwood: sum d / (n (n - d)).
    frame = pd.DataFrame(
        {"t": [2, 3, 5, 5, 8, 1, 4], "e": [1, 0, 1, 1, 0, 1, 0], "g": ["x"] * 5 + ["y"] * 2}
    )
    result = survival_analysis(frame, time="t", event="e", group="g", at=[2, 4, 5, 7])
    x = result.a
    s2, s5 = 4 / 5, 4 / 5 * 1 / 3
    values = {s.time: s for s in x.at_times}
    assert values[2].survival == pytest.approx(s2)
    assert values[4].survival == pytest.approx(s2)
    assert values[5].survival == pytest.approx(s5)
    assert [values[t].at_risk for t in (2, 4, 5, 7)] == [5, 3, 3, 1]
    z = norm.ppf(0.975)
    greenwood = 1 / (5 * 4) + 2 / (3 * 1)
    # log(-log) interval: S^exp(+-z * se / log S), se = sqrt(greenwood) (R conf.type "log-log").
    se = math.sqrt(greenwood) / abs(math.log(s5))
    assert values[5].lower == pytest.approx(s5 ** math.exp(z * se), abs=1e-9)
    assert values[5].upper == pytest.approx(s5 ** math.exp(-z * se), abs=1e-9)
    assert x.events == 3 and x.n == 5
    assert x.median == 5.0


def test_median_follows_r_when_the_curve_sits_at_one_half():
    # R: survfit(Surv(c(1,2,3,4), rep(1,4)) ~ 1, conf.type = "log-log"): median 2.5 (1, NA);
    # survfit(Surv(1:6, c(1,1,1,0,1,0)) ~ 1, ...): median 4 (1, NA).
    frame = pd.DataFrame(
        {"t": [1, 2, 3, 4, 1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 1, 1, 1, 0, 1, 0],
         "g": ["x"] * 4 + ["y"] * 6}
    )
    result = survival_analysis(frame, time="t", event="e", group="g")
    assert (result.a.median, result.a.median_lower, result.a.median_upper) == (2.5, 1.0, None)
    assert (result.b.median, result.b.median_lower, result.b.median_upper) == (4.0, 1.0, None)


@pytest.fixture
def adtte(test_data: Path) -> pd.DataFrame:
    """The CDISC pilot ADTTE (tests/data/README.md), with EVENT = 1 - CNSR."""
    import pyreadstat

    frame, _ = pyreadstat.read_xport(str(test_data / "cdiscpilot01" / "adam" / "adtte.xpt"))
    frame["EVENT"] = 1 - frame["CNSR"]
    return frame


def test_cdisc_pilot_adtte_high_dose_vs_placebo_matches_r(adtte):
    # Time to first dermatologic event, CDISC pilot (254 subjects, 3 arms). R, after dropping
    # Xanomeline Low Dose: survdiff Chisq 52.32700413; coxph coef 1.593352888, se 0.2383386612,
    # HR CI 3.083969900 to 7.849800204; survfit log-log: High Dose median 36 (23, 46), Placebo
    # median NA; survival at 30, 90, 180 days below.
    two = adtte[adtte["TRTA"] != "Xanomeline Low Dose"]
    result = survival_analysis(
        two, time="AVAL", event="EVENT", group="TRTA",
        groups=["Xanomeline High Dose", "Placebo"], at=[30, 90, 180],
    )
    assert result.logrank.statistic == pytest.approx(52.32700413, rel=1e-6)
    assert result.hazard_ratio.coef == pytest.approx(1.593352888, abs=1e-5)
    assert result.hazard_ratio.se == pytest.approx(0.2383386612, abs=1e-5)
    assert result.hazard_ratio.lower == pytest.approx(3.083969900, rel=1e-4)
    assert result.hazard_ratio.upper == pytest.approx(7.849800204, rel=1e-4)
    high, placebo = result.a, result.b
    assert (high.n, high.events, placebo.n, placebo.events) == (84, 61, 86, 29)
    assert (high.median, high.median_lower, high.median_upper) == (36, 23, 46)
    assert placebo.median is None
    expected = {
        ("Placebo", 30): (69, 0.84442128213, 0.74704488232, 0.9065981049),
        ("Placebo", 90): (49, 0.67147180007, 0.55509284924, 0.7637658260),
        ("Placebo", 180): (35, 0.62610208385, 0.50652058725, 0.7244540889),
        ("Xanomeline High Dose", 30): (38, 0.53011051163, 0.41082018088, 0.6358488650),
        ("Xanomeline High Dose", 90): (6, 0.13788096066, 0.06216687888, 0.2433605783),
        ("Xanomeline High Dose", 180): (3, 0.09192064044, 0.03187137172, 0.1914390627),
    }
    for g in (high, placebo):
        for s in g.at_times:
            at_risk, surv, lower, upper = expected[(g.label, s.time)]
            assert s.at_risk == at_risk
            assert s.survival == pytest.approx(surv, abs=1e-9)
            assert s.lower == pytest.approx(lower, abs=1e-7)
            assert s.upper == pytest.approx(upper, abs=1e-7)


def test_cdisc_pilot_adtte_with_three_arms_is_refused_naming_the_column(adtte):
    with pytest.raises(AnalysisInputError) as error:
        survival_analysis(adtte, time="AVAL", event="EVENT", group="TRTA")
    assert error.value.column == "TRTA"
    assert "exactly two groups, found 3" in error.value.rule


def test_km_plot_of_the_cdisc_pilot_is_written_and_not_blank(adtte, test_output_dir):
    import matplotlib.image as mpimg

    two = adtte[adtte["TRTA"] != "Xanomeline Low Dose"]
    result = survival_analysis(
        two, time="AVAL", event="EVENT", group="TRTA", groups=["Xanomeline High Dose", "Placebo"]
    )
    png = result.plot(test_output_dir / "km_cdiscpilot_adtte.png")
    svg = result.plot(test_output_dir / "km_cdiscpilot_adtte.svg")
    image = mpimg.imread(png)
    rgb = image[..., :3]
    non_white = np.mean(np.any(rgb < 0.95, axis=-1))
    assert 0.02 < non_white < 0.6  # drawn on, not a blank or a filled canvas
    # Both groups' colours (Okabe-Ito blue and vermillion) appear.
    blue = np.all(np.abs(rgb - np.array([0, 0x72, 0xB2]) / 255) < 0.05, axis=-1).sum()
    vermillion = np.all(np.abs(rgb - np.array([0xD5, 0x5E, 0]) / 255) < 0.05, axis=-1).sum()
    assert blue > 200 and vermillion > 200
    text = svg.read_text()
    assert "Number at risk" in text and "Xanomeline High Dose" in text


def test_km_plot_writes_the_words_it_is_given(tmp_path):
    """A page draws the plot in its reader's language: title, axes, legend and the
    numbers-at-risk heading are the caller's words, none of the English defaults left (issue 19)."""
    svg = _aml().plot(
        tmp_path / "km.svg", time_label="Semanas", survival_label="Probabilidad de supervivencia",
        title="Estimación de Kaplan-Meier", at_risk_label="Número en riesgo",
        group_label="{label}: {n} pacientes, {events} eventos").read_text()
    for words in ("Semanas", "Probabilidad de supervivencia", "Estimación de Kaplan-Meier",
                  "Número en riesgo", "Maintained: 11 pacientes, 7 eventos",
                  "Nonmaintained: 12 pacientes, 11 eventos"):
        assert words in svg, words
    for english in ("Survival probability", "Number at risk", "pointwise", "hazard ratio",
                    "events =", "Days"):
        assert english not in svg, english


def test_coded_labels_stay_coded_everywhere():
    frame = AML.assign(x=AML["x"].map({"Maintained": "group 2", "Nonmaintained": "group 1"}))
    result = survival_analysis(frame, time="time", event="status", group="x")
    text, data = result.to_text(), json.dumps(result.to_dict(), allow_nan=False)
    assert "group 1" in text and "group 2" in text
    assert "aintained" not in text and "aintained" not in data
    assert result.hazard_ratio.estimate == pytest.approx(2.4981, abs=1e-4)  # group 1 vs group 2


def test_swapping_groups_inverts_the_hazard_ratio():
    forward = _aml().hazard_ratio
    backward = survival_analysis(
        AML, time="time", event="status", group="x", groups=["Maintained", "Nonmaintained"]
    ).hazard_ratio
    assert backward.estimate == pytest.approx(1 / forward.estimate, rel=1e-6)
    assert backward.lower == pytest.approx(1 / forward.upper, rel=1e-6)


def test_group_without_events_gives_no_hazard_ratio_but_the_rest():
    frame = pd.DataFrame({"t": [3, 5, 7, 28, 28, 28], "e": [1, 1, 0, 0, 0, 0],
                          "g": ["a", "a", "a", "b", "b", "b"]})
    result = survival_analysis(frame, time="t", event="e", group="g", at=[28])
    assert result.hazard_ratio.estimate is None
    assert "no events" in result.hazard_ratio.note
    assert result.logrank.p_value is not None
    assert result.b.at_times[0].survival == 1.0


@pytest.mark.parametrize(
    ("frame", "column", "rule"),
    [
        (pd.DataFrame({"t": [1, -2], "e": [1, 0], "g": ["a", "b"]}), "t", "must not be negative"),
        (pd.DataFrame({"t": [1, 2], "e": [1, 2], "g": ["a", "b"]}), "e", "must be 0 or 1"),
        (pd.DataFrame({"t": [1, "x"], "e": [1, 0], "g": ["a", "b"]}), "t", "must be numeric"),
        (pd.DataFrame({"t": [1, 2], "e": [1, 0], "g": ["a", "a"]}), "g", "exactly two groups"),
    ],
)
def test_bad_survival_input_names_the_column_and_rule(frame, column, rule):
    with pytest.raises(AnalysisInputError) as error:
        survival_analysis(frame, time="t", event="e", group="g")
    assert error.value.column == column
    assert rule in error.value.rule


def test_missing_times_are_left_out_and_counted():
    frame = AML.copy()
    frame.loc[0, "time"] = np.nan
    frame.loc[5, "status"] = np.nan
    result = survival_analysis(frame, time="time", event="status", group="x")
    assert result.missing.rows_excluded == 2
    assert result.missing.by_column == {"time": 1, "status": 1, "x": 0}
    assert "2 of 23 rows excluded" in result.to_text()
