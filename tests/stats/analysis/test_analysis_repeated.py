"""Repeated measures (mixed model on log values) against R's nlme::lme and statsmodels MixedLM.

R figures come from ``reference/r_reference.R`` (output in ``reference/r_reference.out``).
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from trialdesk.stats.analysis import AnalysisInputError, repeated_measures

# IL-6 (pg/mL), 14 participants, days 0-14, three visits missing; two results "<2" (LOD 2).
IL6 = pd.read_csv(io.StringIO("""id,arm,day,il6
P00,group 1,0,19.9
P00,group 1,3,15.4
P00,group 1,7,6.4
P00,group 1,14,4.2
P01,group 2,0,11.4
P01,group 2,3,8.1
P01,group 2,7,9.2
P01,group 2,14,2.8
P02,group 1,0,25.8
P02,group 1,3,27.4
P02,group 1,7,15.6
P02,group 1,14,8.8
P03,group 2,0,20.5
P03,group 2,3,12.7
P03,group 2,14,8.3
P04,group 1,0,12.7
P04,group 1,3,8.2
P04,group 1,7,12.1
P04,group 1,14,5.1
P05,group 2,0,3.5
P05,group 2,3,3.5
P05,group 2,7,2.3
P05,group 2,14,<2
P06,group 1,0,17.0
P06,group 1,3,9.3
P06,group 1,7,5.9
P07,group 2,0,19.0
P07,group 2,3,11.8
P07,group 2,7,13.5
P07,group 2,14,12.2
P08,group 1,0,8.3
P08,group 1,3,10.1
P08,group 1,7,7.3
P08,group 1,14,6.1
P09,group 2,0,5.1
P09,group 2,7,3.6
P09,group 2,14,<2
P10,group 1,0,15.6
P10,group 1,3,8.1
P10,group 1,7,12.9
P10,group 1,14,6.5
P11,group 2,0,19.2
P11,group 2,3,20.7
P11,group 2,7,7.9
P11,group 2,14,11.8
P12,group 1,0,8.9
P12,group 1,3,15.1
P12,group 1,7,9.2
P12,group 1,14,8.1
P13,group 2,0,9.7
P13,group 2,3,9.8
P13,group 2,7,5.4
P13,group 2,14,6.9
"""))

# R: lme(log(il6) ~ ga * fday, random = ~ 1 | id, method = "REML") with "<2" as 1.0 (half LOD).
R_GMR = {  # day: (ratio, lower, upper), Wald with qnorm(0.975) from vcov(m)
    0: (1.3610840556, 0.7045821274, 2.6292886726),
    3: (1.429364629, 0.732650158, 2.788620491),
    7: (1.4426970639, 0.7394839708, 2.8146314188),
    14: (1.4510127271, 0.7437639938, 2.8307876583),
}
R_RESIDUAL_VARIANCE = 0.1104468388
R_INTERCEPT_VARIANCE = 0.2845499255


def _fit(engine: str = "profile", **kwargs):
    return repeated_measures(
        IL6, participant="id", group="arm", day="day", value="il6", lod=2.0, engine=engine,
        **kwargs,
    )


@pytest.mark.parametrize("engine", ["profile", "statsmodels"])
def test_geometric_mean_ratios_match_r_nlme(engine):
    result = _fit(engine)
    tol = 1e-6 if engine == "profile" else 2e-3  # MixedLM's covariance comes from its Hessian
    for r in result.ratios:
        ratio, lower, upper = R_GMR[int(r.day)]
        assert r.ratio == pytest.approx(ratio, rel=1e-6 if engine == "profile" else 1e-5)
        assert r.lower == pytest.approx(lower, rel=tol)
        assert r.upper == pytest.approx(upper, rel=tol)
    variance_tol = 1e-6 if engine == "profile" else 1e-4  # MixedLM stops its optimiser earlier
    assert result.residual_variance == pytest.approx(R_RESIDUAL_VARIANCE, rel=variance_tol)
    assert result.intercept_variance == pytest.approx(R_INTERCEPT_VARIANCE, rel=variance_tol)
    assert result.engine == engine


def test_the_two_engines_agree_on_unbalanced_simulated_data():
    rng = np.random.default_rng(3)
    rows = []
    for i in range(60):
        arm = "A" if i % 3 else "B"
        u = rng.normal(0, 0.7)
        for day in (0, 1, 3, 7, 14):
            if rng.random() < 0.2 and day:
                continue
            mu = 4 + u - 0.1 * day - (0.05 * day if arm == "A" else 0)
            rows.append((i, arm, day, math.exp(mu + rng.normal(0, 0.5))))
    frame = pd.DataFrame(rows, columns=["id", "arm", "day", "tnf"])
    fast = repeated_measures(frame, participant="id", group="arm", day="day", value="tnf")
    slow = repeated_measures(frame, participant="id", group="arm", day="day", value="tnf",
                             engine="statsmodels")
    for f, s in zip(fast.ratios, slow.ratios, strict=True):
        assert f.ratio == pytest.approx(s.ratio, rel=1e-5)
        assert f.lower == pytest.approx(s.lower, rel=2e-3)
    assert fast.intercept_variance == pytest.approx(slow.intercept_variance, rel=1e-4)


def test_values_below_the_limit_of_detection_follow_the_declared_rule_and_are_counted():
    result = _fit()
    assert result.below_lod_total == 2
    day14 = next(g for g in result.geometric_means if g.group == "group 2" and g.day == 14)
    assert day14.below_lod == 2
    # Observed geometric mean by hand: exp(mean(log)) with the two "<2" as 1.0.
    values = [2.8, 8.3, 1.0, 12.2, 1.0, 11.8, 6.9]
    assert day14.geometric_mean == pytest.approx(math.exp(np.mean(np.log(values))))
    as_lod = _fit(lod_rule="lod")
    day14_lod = next(g for g in as_lod.geometric_means if g.group == "group 2" and g.day == 14)
    values_lod = [2.8, 8.3, 2.0, 12.2, 2.0, 11.8, 6.9]
    assert day14_lod.geometric_mean == pytest.approx(math.exp(np.mean(np.log(values_lod))))
    assert "2 values, replaced by LOD / 2" in result.to_text()


def test_numbers_below_a_numeric_lod_are_replaced_too():
    frame = IL6.copy()
    frame.loc[frame["il6"] == "<2", "il6"] = "0.4"
    result = repeated_measures(frame, participant="id", group="arm", day="day", value="il6",
                               lod=2.0)
    assert result.below_lod_total == 2
    assert result.ratios[0].ratio == pytest.approx(R_GMR[0][0], rel=1e-6)


def test_zero_without_a_lod_is_refused_for_the_log_scale():
    frame = IL6.copy()
    frame.loc[frame["il6"] == "<2", "il6"] = "0"
    with pytest.raises(AnalysisInputError) as error:
        repeated_measures(frame, participant="id", group="arm", day="day", value="il6")
    assert error.value.column == "il6" and "positive" in error.value.rule


def test_geometric_means_plot_is_written(test_output_dir):
    import matplotlib.image as mpimg

    png = _fit().plot(test_output_dir / "geometric_means_il6.png")
    rgb = mpimg.imread(png)[..., :3]
    assert 0.01 < np.mean(np.any(rgb < 0.95, axis=-1)) < 0.6
    svg = _fit().plot(test_output_dir / "geometric_means_il6.svg")
    assert "<svg" in svg.read_text()[:500]


def test_json_and_text_keep_coded_labels_and_name_the_model():
    result = _fit()
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["labels"] == ["group 1", "group 2"]
    assert "random intercept" in data["model"]
    assert len(data["ratios"]) == 4
    assert "ratio group 1 / group 2" in result.to_text()


def test_swapping_groups_inverts_the_ratios():
    forward = _fit()
    backward = repeated_measures(IL6, participant="id", group="arm", day="day", value="il6",
                                 lod=2.0, groups=["group 2", "group 1"])
    for f, b in zip(forward.ratios, backward.ratios, strict=True):
        assert b.ratio == pytest.approx(1 / f.ratio, rel=1e-6)
        assert b.lower == pytest.approx(1 / f.upper, rel=1e-6)
        assert f.lower <= f.ratio <= f.upper


def test_a_participant_in_both_groups_is_refused():
    frame = IL6.copy()
    frame.loc[0, "arm"] = "group 2"
    with pytest.raises(AnalysisInputError) as error:
        repeated_measures(frame, participant="id", group="arm", day="day", value="il6", lod=2.0)
    assert error.value.column == "arm" and "both groups" in error.value.rule
