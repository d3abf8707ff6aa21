"""Conditional power of inverse-normal designs against rpact, and against a direct computation.

Source: rpact, tests/testthat/test-f_analysis_base_means.R (https://github.com/rpact-com/rpact),
the block with ``design12``::

    design12 <- getDesignInverseNormal(kMax = 4, alpha = 0.025, informationRates = informationRates,
                                       typeOfDesign = "WT", deltaWT = 0.45)
    # criticalValues 2.484114, 2.3728731, 2.3177603, 2.2920443; weights 0.4472136, 0.54772256, ...
    stageResults <- getStageResults(design12, dataExample7, equalVariances = TRUE,
                                    directionUpper = TRUE, stage = 2, thetaH0 = -1)
    # pValues 0.026564837, 0.11746538
    getConditionalPower(stageResults, thetaH1 = 0.840, nPlanned = c(96, 64), assumedStDev = 2)
    # conditionalPower NA, NA, 0.99975751, 0.99999919
    .getConditionalPowerPlot(stageResults, thetaRange = seq(-0.8, 0.5, 0.1), nPlanned = c(96, 64),
                             assumedStDev = 2, allocationRatioPlanned = 3)
    # condPowerValues 0.37570702 ... 0.99906067

Wang-Tsiatis Delta = 0.45 is not one of our boundary families, so the design is built with rpact's
printed critical values (information rates 0.2, 0.5, 0.8, 1 from the weights). rpact's effect is
relative to thetaH0 (= -1 here). Tolerance: rpact's 1e-7 relative (we reach ~1e-8).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from trialdesk.stats.design.boundaries import group_sequential_design
from trialdesk.stats.design.combination import InverseNormalDesign, inverse_normal_design
from trialdesk.stats.design.conditional_power import (
    conditional_power,
    conditional_power_observed,
    next_stage_size,
    observed_theta,
    theta_means,
    theta_rates,
)

RPACT_UPPER = [2.484114, 2.3728731, 2.3177603, 2.2920443]
STAGE_P = [0.026564837, 0.11746538]


def _design12(upper=RPACT_UPPER) -> InverseNormalDesign:
    g = group_sequential_design(4, information_rates=[0.2, 0.5, 0.8, 1.0])
    return InverseNormalDesign(replace(g, upper=np.array(upper, dtype=float)))


def test_weights_match_rpact():
    np.testing.assert_allclose(
        _design12().weights, [0.4472136, 0.54772256, 0.54772256, 0.4472136], rtol=1e-7
    )


def test_conditional_power_two_remaining_stages_matches_rpact():
    z = stats.norm.isf(STAGE_P)
    theta = theta_means(0.840 - (-1.0), 2.0)  # thetaH1 relative to thetaH0 = -1
    assert conditional_power(_design12(), z, [96, 64], theta) == pytest.approx(
        0.99999919, rel=1e-7
    )
    # rpact's value at stage 3: the probability of rejecting by stage 3. A design whose last
    # bound cannot be crossed gives exactly that.
    only3 = _design12([*RPACT_UPPER[:3], 60.0])
    assert conditional_power(only3, z, [96, 64], theta) == pytest.approx(0.99975751, rel=1e-7)


def test_conditional_power_curve_with_allocation_ratio_matches_rpact():
    z = stats.norm.isf(STAGE_P)
    rpact = [0.37570702, 0.47532662, 0.57738365, 0.67516684, 0.76267391, 0.83573986, 0.89261201,
             0.9338489, 0.96168571, 0.97917178, 0.98938899, 0.99494035, 0.99774434, 0.99906067]
    thetas = np.round(np.arange(-0.8, 0.51, 0.1), 10)
    ours = [conditional_power(_design12(), z, [96, 64], theta_means(x + 1.0, 2.0, 3.0))
            for x in thetas]
    np.testing.assert_allclose(ours, rpact, rtol=1e-7)


def test_one_remaining_stage_closed_form():
    # Two-stage design: CP = 1 - Phi((c2 - w1 z1) / w2 - theta sqrt(n2)).
    d = inverse_normal_design(2, kind="obf", information_rates=[0.4, 1.0])
    z1, n2, theta = 1.1, 150.0, 0.12
    w1, w2 = math.sqrt(0.4), math.sqrt(0.6)
    expected = stats.norm.sf((d.critical_values[1] - w1 * z1) / w2 - theta * math.sqrt(n2))
    assert conditional_power(d, [z1], [n2], theta) == pytest.approx(expected, rel=1e-12)


def test_conditional_power_by_monte_carlo_three_stages():
    # Independent check of the two-stages-ahead integral: 10^6 draws of the future stage-wise z.
    # SE <= 0.5 / 1000 = 5e-4; we allow 4 SE.
    d = inverse_normal_design(3, kind="obf")
    z1, n, theta = 0.9, np.array([80.0, 80.0]), 0.15
    rng = np.random.default_rng(5)
    fut = theta * np.sqrt(n) + rng.standard_normal((1_000_000, 2))
    w = d.weights
    s2 = w[0] * z1 + w[1] * fut[:, 0]
    s3 = s2 + w[2] * fut[:, 1]
    b = d.critical_values * np.sqrt(np.cumsum(w * w))
    mc = np.mean((s2 >= b[1]) | (s3 >= b[2]))
    assert conditional_power(d, [z1], n, theta) == pytest.approx(mc, abs=4 * 5e-4)


def test_observed_versus_planned_effect():
    d = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    n = [100.0, 100.0]
    z1 = 1.0
    theta_hat = observed_theta([z1], n)
    assert theta_hat == pytest.approx(z1 / 10.0)
    planned = theta_means(0.5, 1.0)  # 0.25 per patient
    assert conditional_power_observed(d, [z1], n, n[1:]) == pytest.approx(
        conditional_power(d, [z1], n[1:], theta_hat)
    )
    assert conditional_power(d, [z1], n[1:], planned) > conditional_power_observed(
        d, [z1], n, n[1:]
    )


def test_binary_effect_scale():
    # Normal approximation: theta = (p1 - p0) / sqrt(pbar (1 - pbar)) * sqrt(r) / (1 + r).
    assert theta_rates(0.4, 0.3) == pytest.approx(0.1 / math.sqrt(0.35 * 0.65) / 2)
    # A two-stage binary trial sized for 80% power (HSD gamma = -40 spends almost nothing at the
    # interim): its planned-effect CP when the interim z is exactly on track, against the closed
    # form; being on track at half-way leaves more than 80% chance of success.
    d = inverse_normal_design(2, kind="hsd", gamma=-40.0, information_rates=[0.5, 1.0])
    theta = theta_rates(0.4, 0.3)
    za, zb = stats.norm.isf(0.025), stats.norm.isf(0.2)
    n = ((za + zb) / theta) ** 2
    cp = conditional_power(d, [theta * math.sqrt(n / 2)], [n / 2], theta)
    w = math.sqrt(0.5)
    direct = stats.norm.sf((d.critical_values[1] - w * theta * math.sqrt(n / 2)) / w
                           - theta * math.sqrt(n / 2))
    assert cp == pytest.approx(direct, rel=1e-12)
    assert cp > 0.8


def test_next_stage_size_reaches_the_target():
    d = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    n2 = next_stage_size(d, [1.2], 0.1, 0.9)
    assert conditional_power(d, [1.2], [n2], 0.1) == pytest.approx(0.9, rel=1e-10)
    assert next_stage_size(d, [1.2], -0.1, 0.9) == math.inf
    assert next_stage_size(d, [2.95], 0.1, 0.5) == 0.0


def test_conditional_power_rejects_bad_input():
    d = inverse_normal_design(2)
    with pytest.raises(ValueError):
        conditional_power(d, [1.0, 1.0], [10.0], 0.1)
    with pytest.raises(ValueError):
        conditional_power(d, [1.0], [0.0], 0.1)
