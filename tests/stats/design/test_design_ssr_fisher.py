"""Sample-size re-estimation with Fisher's combination test: the rule, its type I error, and its
operating characteristics.

Checks:
- rpact's simulation with re-estimation for a Fisher design (source below), within 3 binomial
  standard errors of rpact's 100-iteration figures;
- numerical integration against our own simulation (2 x 10^5 trials) within 4 SE;
- the type I error stays alpha under any rule (integration, 1e-9; three stages by simulation
  against the design's exact per-stage null rejection probabilities, 4 SE).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from ssr_checks import assert_integration_matches_simulation, rule_kinds

from trialdesk.stats.design.combination import fisher_design
from trialdesk.stats.design.conditional_power_fisher import (
    conditional_power_next_stage,
    z_from_p,
)
from trialdesk.stats.design.ssr import SampleSizeRule
from trialdesk.stats.design.ssr_fisher import (
    next_size_fisher,
    oc_integration_fisher,
    oc_simulation_fisher,
)

SIMS = 200_000


def test_reestimation_matches_rpacts_simulation():
    # rpact, tests/testthat/test-f_simulation_base_means.R ("'getSimulationMeans': Fisher design
    # with several configurations", x1):
    #   getSimulationMeans(seed = 1234, getDesignFisher(informationRates = c(0.3333, 1)),
    #       normalApproximation = TRUE, groups = 1, plannedSubjects = c(10, 30),
    #       alternative = c(0, 0.4, 0.8), conditionalPower = 0.8,
    #       minNumberOfSubjectsPerStage = c(10, 4), maxNumberOfSubjectsPerStage = c(10, 100),
    #       stDev = 1.2, directionUpper = TRUE, maxNumberOfIterations = 100, thetaH0 = 0.05)
    #   $effect                   -0.05, 0.35, 0.75
    #   $overallReject            0.01, 0.67, 0.93
    #   $rejectPerStage[1, ]      0, 0.09, 0.47
    #   $expectedNumberOfSubjects 100.13629, 75.286263, 37.754027
    # One group: theta = effect / stDev per patient. rpact simulates the data (its "normal
    # approximation" takes normal p-values of a statistic with the estimated SD); we integrate
    # the z-statistic's normal law, so agreement is within rpact's Monte Carlo error. (The
    # mirrored block x2, directionUpper = FALSE, is not used: its stage-1 rejection at effect
    # -0.8 (0.62) lies 3.2 SE above the normal model's 0.466 -- with 10 patients at stage 1 the
    # estimated SD's heavier tails show, e.g. P(t_9 >= 2.19) = 0.029 against 0.014 under H0,
    # where x2 gives 0.03.)
    design = fisher_design(2, information_rates=[0.3333, 1.0])
    rule = SampleSizeRule((10, 30), target=0.8, n_min=4, n_max=100)
    rpact = {-0.05: (0.01, 0.0, 100.13629), 0.35: (0.67, 0.09, 75.286263),
             0.75: (0.93, 0.47, 37.754027)}

    def se(p: float) -> float:
        return math.sqrt(max(p * (1 - p), 0.03 * 0.97) / 100)

    for effect, (power, reject1, expected_n) in rpact.items():
        oc = oc_integration_fisher(design, rule, effect / 1.2)
        assert abs(oc.power - power) <= 3 * se(power), effect
        assert abs(oc.reject[0] - reject1) <= 3 * se(reject1), effect
        # The total lies in [14, 110]: its SD is at most 48, the SE of 100 trials at most 4.8.
        assert abs(oc.expected_n - expected_n) <= 3 * 4.8, effect


@pytest.mark.parametrize("rule", rule_kinds(100, n_min=30, n_max=300, theta=0.2))
@pytest.mark.parametrize("theta", [0.0, 0.12, 0.2])
def test_integration_agrees_with_simulation(rule, theta):
    design = fisher_design(2, alpha0=0.5, information_rates=[0.5, 1.0])
    exact = oc_integration_fisher(design, rule, theta)
    sim = oc_simulation_fisher(design, rule, theta, sims=SIMS)
    assert_integration_matches_simulation(exact, sim, rule, SIMS)


@pytest.mark.parametrize("alpha0", [1.0, 0.5])
def test_fisher_keeps_alpha_under_any_reestimation(alpha0):
    design = fisher_design(2, alpha0=alpha0, information_rates=[0.4, 1.0])
    for rule in [
        SampleSizeRule((80, 120), n_min=10, n_max=1000),
        SampleSizeRule((80, 120), n_max=480, promising=(0.2, 0.9), target=0.95),
    ]:
        oc = oc_integration_fisher(design, rule, 0.0)
        assert oc.power == pytest.approx(0.025, abs=1e-9)
        np.testing.assert_allclose(oc.reject, design.rejection_probabilities(), atol=1e-9)


def test_three_stages_keep_the_designs_null_rejection_per_stage():
    design = fisher_design(3, alpha0=0.6)
    rule = SampleSizeRule((50, 50, 50), n_min=20, n_max=200, promising=(0.3, 0.8))
    oc = oc_simulation_fisher(design, rule, 0.0, sims=SIMS, seed=9)
    exact = design.rejection_probabilities()
    np.testing.assert_array_less(np.abs(oc.reject - exact), 4 * oc.se)
    # Futility at stage 1 is P(p_1 > 0.6) = 0.4 under H0.
    assert abs(oc.futility[0] - 0.4) <= 4 * math.sqrt(0.24 / SIMS)


def test_three_stages_with_reestimation_raise_power():
    design = fisher_design(3, alpha0=0.6)
    fixed = oc_simulation_fisher(design, SampleSizeRule((50, 50, 50)), 0.15, sims=SIMS)
    grown = oc_simulation_fisher(design, SampleSizeRule((50, 50, 50), n_max=200), 0.15, sims=SIMS)
    assert grown.power > fixed.power + 0.05
    assert grown.expected_n > fixed.expected_n and grown.p_increase > 0


def test_rule_reaches_the_target_within_its_bounds():
    design = fisher_design(2, information_rates=[0.5, 1.0])
    rule = SampleSizeRule((100, 100), target=0.8, n_min=20, n_max=400)
    for p1 in (0.03, 0.1, 0.3):
        n2 = next_size_fisher(design, rule, [p1])
        theta_hat = float(z_from_p(p1)) / 10
        if 20 < n2 < 400:
            assert conditional_power_next_stage(design, [p1], n2, theta_hat) == pytest.approx(0.8)
    # A poor interim (negative observed effect) takes the cap.
    assert next_size_fisher(design, rule, [0.7]) == 400


def test_promising_zone_rule():
    design = fisher_design(2, information_rates=[0.5, 1.0])
    rule = SampleSizeRule((200, 200), n_max=600, promising=(0.36, 0.8), target=0.8)

    def cp_obs(p1: float) -> float:
        return conditional_power_next_stage(design, [p1], 200, float(z_from_p(p1)) / math.sqrt(200))

    # Unfavourable and favourable zones keep the planned size; the promising one grows it.
    assert cp_obs(0.4) < 0.36 and next_size_fisher(design, rule, [0.4]) == 200
    assert cp_obs(0.017) >= 0.8 and next_size_fisher(design, rule, [0.017]) == 200
    promising = [p for p in np.linspace(0.02, 0.4, 200) if 0.36 <= cp_obs(p) < 0.8]
    assert promising
    assert all(200 < next_size_fisher(design, rule, [p]) <= 600 for p in promising)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        oc_integration_fisher(fisher_design(3), SampleSizeRule((1, 1, 1)), 0.1)
    with pytest.raises(ValueError):
        next_size_fisher(fisher_design(2), SampleSizeRule((10, 10)), [0.1, 0.2])
    with pytest.raises(ValueError):
        oc_simulation_fisher(fisher_design(3), SampleSizeRule((10, 10)), 0.1)
