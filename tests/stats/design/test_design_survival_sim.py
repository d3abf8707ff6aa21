"""Vectorized log-rank simulation: the statistic against lifelines, the design against theory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lifelines.statistics import logrank_test

import trialdesk.stats.design.spec as spec_module
from trialdesk.stats.design.simulate import simulate, simulate_trial_loop
from trialdesk.stats.design.spec import SpecError, load_spec, parse_spec
from trialdesk.stats.design.survival_sim import arm_matrix, logrank_z

EXAMPLE = Path(spec_module.__file__).resolve().parent / "examples" / "survival_two_looks.toml"


def test_vectorized_log_rank_matches_lifelines():
    rng = np.random.default_rng(12)
    rows, n = 25, 60
    treat = rng.random((rows, n)) < 0.5
    times = rng.exponential(np.where(treat, 14.0, 9.0))
    censor = rng.exponential(20.0, (rows, n))
    events = times <= censor
    obs = np.minimum(times, censor)
    # participants not yet recruited at the look: negative time, no event
    obs[:, -7:] = -1.0
    events[:, -7:] = False
    z = logrank_z(obs, events, treat)
    for i in range(rows):
        keep = obs[i] >= 0
        t_arm, c_arm = keep & treat[i], keep & ~treat[i]
        res = logrank_test(obs[i][t_arm], obs[i][c_arm], events[i][t_arm], events[i][c_arm])
        assert z[i] ** 2 == pytest.approx(res.test_statistic, rel=1e-9)
    # direction: a lower hazard on treatment gives mostly positive z
    assert (z > 0).mean() > 0.6


def test_survival_design_size_and_power_agree_with_theory():
    spec = load_spec(EXAMPLE)
    results = simulate(spec, 30_000, seed=11, progress=False)
    null, alt = results
    na0 = float(null.normal_approximation.upper.sum())
    assert na0 == pytest.approx(0.025, abs=1e-9)
    assert abs(null.rejection_probability - na0) < 3 * null.standard_error
    # Schoenfeld's approximation of the log-rank power is close, not exact: 0.015
    assert alt.rejection_probability == pytest.approx(
        float(alt.normal_approximation.upper.sum()), abs=0.015
    )
    d = alt.to_dict(spec)
    assert d["expected_n_analysed"] <= 122 and d["hazard_ratio"] == 0.6
    assert d["expected_duration_days"] > 0 and d["expected_n_enrolled"] <= 220
    assert alt.exact is None
    with pytest.raises(ValueError, match="per-trial reference"):
        simulate_trial_loop(spec, spec.scenarios[0], np.random.default_rng(0))


def test_arm_matrix_for_each_randomization():
    base = {
        "design": {"endpoint": "survival", "n_total": 24, "events": 12, "accrual_per_month": 2},
        "scenarios": [{"median_control": 6, "hazard_ratio": 0.7}],
    }
    rng = np.random.default_rng(1)
    for randomization, extra in [
        ("fixed", {}),
        ("block", {"block_size": 6}),
        ("simple", {}),
        ("permuted-blocks", {}),
    ]:
        data = base | {"design": base["design"] | {"randomization": randomization} | extra}
        spec = parse_spec(data)
        arms = np.asarray(arm_matrix(rng, spec, 5000))
        assert arms.shape == (5000, 24)
        if randomization != "simple":
            assert np.all(arms.sum(axis=1) == 12)
        else:
            assert arms.mean() == pytest.approx(0.5, abs=0.01)
        if randomization == "block":
            assert np.all(arms[:, :6].sum(axis=1) == 3)


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"endpoint": "survival", "n_total": 50, "events": 30}, "accrual"),
        ({"endpoint": "survival", "n_total": 50, "accrual_per_month": 3}, "design.events"),
        (
            {
                "endpoint": "survival",
                "n_total": 50,
                "events": 30,
                "accrual_per_month": 3,
                "benefit": "higher",
            },
            "lower hazard",
        ),
    ],
)
def test_survival_spec_errors(design, message):
    with pytest.raises(SpecError, match=message):
        parse_spec({"design": design, "scenarios": [{"median_control": 6, "hazard_ratio": 0.7}]})
