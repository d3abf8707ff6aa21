"""Sample-size re-estimation: the rule, its type I error, and its operating characteristics.

Checks:
- rpact's simulations with re-estimation (``getSimulationMeans`` and ``getSimulationRates`` with
  ``conditionalPower``, sources below), within 3 binomial standard errors of rpact's
  100-iteration figures;
- numerical integration against our own simulation (2 x 10^5 trials) within 4 SE;
- the type I error of the inverse-normal test stays alpha under any rule (by integration, 1e-9);
- Mehta and Pocock's (2011) promising-zone lower edge ``CP_min`` for the conventional final test.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import integrate, stats
from ssr_checks import assert_integration_matches_simulation, rule_kinds

from trialdesk.stats.design.combination import InverseNormalDesign, inverse_normal_design
from trialdesk.stats.design.conditional_power import conditional_power, theta_means
from trialdesk.stats.design.ssr import (
    SampleSizeRule,
    cp_min_conventional,
    next_size,
    oc_integration,
    oc_simulation,
)

SIMS = 200_000


def _rpact_x7_design() -> InverseNormalDesign:
    d = inverse_normal_design(3, information_rates=[0.2, 0.5, 1.0])
    return InverseNormalDesign(replace(d.boundaries, lower=np.array([-0.5, 0.5, -np.inf])))


def test_simulation_with_reestimation_matches_rpact():
    # rpact, tests/testthat/test-f_simulation_base_means.R ("several configurations", x7):
    #   getSimulationMeans(design = getDesignInverseNormal(futilityBounds = c(-0.5, 0.5),
    #       informationRates = c(0.2, 0.5, 1)), groups = 1, thetaH0 = -0.2,
    #       plannedSubjects = c(18, 45, 90), maxNumberOfIterations = 100, stDev = 3.5,
    #       alternative = seq(-1.2, -0.2, 0.2), conditionalPower = 0.8,
    #       minNumberOfSubjectsPerStage = c(NA, 10, 10),
    #       maxNumberOfSubjectsPerStage = c(NA, 100, 100), directionUpper = FALSE, seed = 99123)
    #   $effect        -1, -0.8, -0.6, -0.4, -0.2, 0
    #   $overallReject 0.81, 0.82, 0.59, 0.32, 0.12, 0.03
    # rpact runs t-tests on simulated data (100 iterations); we draw the z-statistics (normal
    # approximation), so agreement is within rpact's Monte Carlo error: 3 SE of 100 iterations.
    design = _rpact_x7_design()
    rule = SampleSizeRule((18, 27, 45), target=0.8, n_min=10, n_max=100)
    effects = [-1.0, -0.8, -0.6, -0.4, -0.2, 0.0]
    rpact = [0.81, 0.82, 0.59, 0.32, 0.12, 0.03]
    for effect, ref in zip(effects, rpact, strict=True):
        oc = oc_simulation(design, rule, -effect / 3.5, sims=SIMS)  # one group: delta / sigma
        se = math.sqrt(max(ref * (1 - ref), 0.03 * 0.97) / 100)
        assert abs(oc.power - ref) <= 3 * se, (effect, oc.power, ref)


def test_rates_simulation_with_reestimation_matches_rpact():
    # rpact, tests/testthat/test-f_simulation_base_rates.R ("check several configurations", x7):
    #   getSimulationRates(design = getDesignInverseNormal(futilityBounds = c(0.5),
    #       typeOfDesign = "P"), thetaH0 = 0.3, groups = 1, plannedSubjects = c(30, 60),
    #       pi1 = seq(0.3, 0.5, 0.05), maxNumberOfIterations = 100, conditionalPower = 0.8,
    #       minNumberOfSubjectsPerStage = c(30, 30), maxNumberOfSubjectsPerStage = 5 * c(NA, 30),
    #       directionUpper = TRUE, seed = 99123)
    #   $rejectPerStage[1, ]   0.02, 0.06, 0.15, 0.36, 0.59
    #   $futilityPerStage[1, ] 0.73, 0.53, 0.32, 0.14, 0.06
    #   $overallReject         0.05, 0.18, 0.47, 0.77, 0.91
    #   $expectedNumberOfSubjects 58.56, 77.43, 83.21, 80.96, 58.83
    # rpact draws binomial counts and re-estimates from the observed rate; we integrate the
    # normal approximation (one group: theta = (pi1 - thetaH0) / sqrt(thetaH0 (1 - thetaH0)) per
    # patient), so agreement is within rpact's Monte Carlo error: 3 SE of its 100 iterations.
    pocock = inverse_normal_design(2, kind="classical-pocock")
    # Pocock's constant for two looks at two-sided 0.05 (one-sided 0.025): 2.178 (Jennison and
    # Turnbull 2000, Table 2.1), to its three printed decimals.
    np.testing.assert_allclose(pocock.critical_values, [2.178, 2.178], atol=5e-4)
    design = InverseNormalDesign(replace(pocock.boundaries, lower=np.array([0.5, -np.inf])))
    rule = SampleSizeRule((30, 30), target=0.8, n_min=30, n_max=150)
    rpact = {
        0.30: (0.02, 0.73, 0.05, 58.56),
        0.35: (0.06, 0.53, 0.18, 77.43),
        0.40: (0.15, 0.32, 0.47, 83.21),
        0.45: (0.36, 0.14, 0.77, 80.96),
        0.50: (0.59, 0.06, 0.91, 58.83),
    }

    def se(p: float) -> float:
        return math.sqrt(max(p * (1 - p), 0.05 * 0.95) / 100)

    for pi1, (reject1, futility1, power, expected_n) in rpact.items():
        oc = oc_integration(design, rule, (pi1 - 0.3) / math.sqrt(0.3 * 0.7))
        assert abs(oc.reject[0] - reject1) <= 3 * se(reject1), pi1
        assert abs(oc.futility[0] - futility1) <= 3 * se(futility1), pi1
        assert abs(oc.power - power) <= 3 * se(power), pi1
        # The total lies in [30, 180]: its SD is at most 75, the SE of 100 trials at most 7.5.
        assert abs(oc.expected_n - expected_n) <= 3 * 7.5, pi1


@pytest.mark.parametrize("rule", rule_kinds(221, n_min=50, n_max=663, theta=theta_means(2.0, 7.5)))
@pytest.mark.parametrize("delta", [0.0, 1.4, 2.0])
def test_integration_agrees_with_simulation(rule, delta):
    # Two stages, OBF-type spending at half-way; sigma = 7.5 (Mehta and Pocock's example scale).
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    theta = theta_means(delta, 7.5)
    exact = oc_integration(design, rule, theta)
    sim = oc_simulation(design, rule, theta, sims=SIMS)
    assert_integration_matches_simulation(exact, sim, rule, SIMS)


def test_inverse_normal_keeps_alpha_under_any_reestimation():
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    for rule in [
        SampleSizeRule((100, 100), n_min=10, n_max=1000),
        SampleSizeRule((100, 100), n_max=400, promising=(0.2, 0.9), target=0.95),
    ]:
        assert oc_integration(design, rule, 0.0).power == pytest.approx(0.025, abs=1e-9)


def test_promising_zone_rule():
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    rule = SampleSizeRule((200, 200), n_max=600, promising=(0.36, 0.8), target=0.8)
    theta_hat = [z / math.sqrt(200) for z in (0.2, 1.5, 2.5)]

    def cp_obs(z1: float) -> float:
        return conditional_power(design, [z1], [200], z1 / math.sqrt(200))

    # Unfavourable (CP < 0.36) and favourable (CP >= 0.8) zones keep the planned size.
    assert cp_obs(0.2) < 0.36 and next_size(design, rule, [0.2]) == 200
    assert cp_obs(2.5) >= 0.8 and next_size(design, rule, [2.5]) == 200
    # Promising: grow to reach CP 0.8 at the observed effect, capped at 600.
    z1 = 1.5
    assert 0.36 <= cp_obs(z1) < 0.8
    n2 = next_size(design, rule, [z1])
    assert 200 < n2 <= 600
    if n2 < 600:
        assert conditional_power(design, [z1], [n2], theta_hat[1]) == pytest.approx(0.8)
    # Just above the lower edge the target is out of reach: the cap applies.
    z_edge = 1.2
    while cp_obs(z_edge) < 0.36:
        z_edge += 0.01
    assert next_size(design, rule, [z_edge]) == 600


def test_cp_min_for_the_conventional_test():
    # Mehta and Pocock (2011), Stat Med 30:3267-3284, schizophrenia example: 442 patients
    # planned, interim at 208, the total may grow to 884; the conventional final z-test may be
    # used when the interim CP lies above CP_min. Chen, DeMets and Lan (2004): CP >= 0.5 always
    # suffices, so CP_min < 0.5.
    alpha, n1, n2, n_max = 0.025, 208, 442, 884
    cp_min = cp_min_conventional(alpha, n1, n2, n_max)
    assert 0.3 < cp_min < 0.5
    # The defining property, by direct integration: with the promising zone [CP_min, 0.8) the
    # conventional (unweighted) final test keeps alpha; with a lower edge it does not.
    assert _conventional_alpha(cp_min, n1, n2, n_max) <= alpha + 1e-9
    assert _conventional_alpha(0.1, n1, n2, n_max) > alpha + 1e-5


def _conventional_alpha(cp_low: float, n1: float, n2: float, n_max: float) -> float:
    """Type I error of the conventional final z-test after promising-zone re-estimation."""
    za = stats.norm.isf(0.025)
    g = inverse_normal_design(2, information_rates=[n1 / n2, 1.0]).boundaries
    # No interim efficacy stop, final bound z_alpha: the weighted test is the fixed-sample test.
    design = InverseNormalDesign(replace(g, upper=np.array([40.0, za])))
    rule = SampleSizeRule((n1, n2 - n1), n_max=n_max - n1, promising=(cp_low, 0.8))

    def integrand(z1: float) -> float:
        m = next_size(design, rule, [z1])
        limit = (za * math.sqrt(n1 + m) - math.sqrt(n1) * z1) / math.sqrt(m)
        return stats.norm.pdf(z1) * stats.norm.sf(limit)

    value, _ = integrate.quad(integrand, -10, 10, limit=400, points=np.linspace(0, 3, 61))
    return float(value)


def test_rule_rejects_bad_input():
    with pytest.raises(ValueError):
        SampleSizeRule((100, 100), target=1.2)
    with pytest.raises(ValueError):
        SampleSizeRule((100, 100), promising=(0.8, 0.3))
    with pytest.raises(ValueError):
        SampleSizeRule((100, 100), n_min=300, n_max=200)
    with pytest.raises(ValueError):
        oc_integration(inverse_normal_design(3), SampleSizeRule((1, 1, 1)), 0.1)
