"""Conditional power of Fisher combination designs against rpact, and against direct computations.

Source of the rpact values: rpact, tests/testthat/test-f_analysis_base_means.R
(https://github.com/rpact-com/rpact), "'getAnalysisResults' for ... Fisher design" blocks, one
group of means with ``dataExample1``/``dataExample2`` (stage-wise p-values printed there)::

    design3 <- getDesignFisher(kMax = 4, alpha = 0.025, alpha0Vec = rep(0.4, 3),
                               bindingFutility = TRUE)
    # criticalValues 0.013928445, 0.0019196833, 0.00034092609, 6.8425459e-05
    # pValues 0.12168078, 0.059770605, 0.060494785 (stages 1-3)
    result3 <- getAnalysisResults(design = design3, dataInput = dataExample1, thetaH0 = 10,
                                  nPlanned = 30, thetaH1 = 50, assumedStDev = 100, seed = 123456789)
    # conditionalRejectionProbabilities 0.029249394, 0.067046868, 0.15552139
    # conditionalPower NA, NA, NA, 0.88057256

    design6 <- getDesignFisher(kMax = 4, alpha = 0.025)
    # criticalValues 0.010404785, 0.0013703718, 0.00023506069, 4.5812899e-05
    # pValues 0.12168078, 0.10295724 (stages 1-2)
    result3 <- getAnalysisResults(design = design6, dataInput = dataExample2, stage = 2,
                                  thetaH0 = 10, nPlanned = c(30, 20), thetaH1 = 50,
                                  assumedStDev = 100, iterations = 800, seed = 31082018)
    # conditionalRejectionProbabilities 0.026695414, 0.033302173
    # conditionalPowerSimulated NA, NA, 0.54125, 0.8125

rpact's four-stage designs are built here from its printed critical values (the design module
computes two and three stages). One group: ``theta = (thetaH1 - thetaH0) / sd`` per patient.
rpact's conditional rejection probability (CRP) is computed exactly (the Fisher combination size
of the remaining stages, futility binding): it is the conditional power at ``theta = 0``, which
our simulation must reach within 4 of its standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from trialdesk.stats.design.combination import FisherDesign, fisher_design
from trialdesk.stats.design.conditional_power import observed_theta
from trialdesk.stats.design.conditional_power_fisher import (
    conditional_power_fisher,
    conditional_power_fisher_observed,
    conditional_power_next_stage,
    next_stage_size_fisher,
    next_stage_threshold,
    p_from_z,
    z_from_p,
)

RATES4 = np.array([0.25, 0.5, 0.75, 1.0])
DESIGN3 = FisherDesign(RATES4, np.array([0.013928445, 0.0019196833, 0.00034092609, 6.8425459e-05]),
                       np.full(3, 0.4), 0.025, "equalAlpha")
DESIGN6 = FisherDesign(RATES4, np.array([0.010404785, 0.0013703718, 0.00023506069, 4.5812899e-05]),
                       np.ones(3), 0.025, "equalAlpha")
P3 = [0.12168078, 0.059770605, 0.060494785]
P6 = [0.12168078, 0.10295724]
THETA = (50 - 10) / 100
MILLION = 1_000_000


def test_one_stage_left_matches_rpact_exactly():
    cp = conditional_power_fisher(DESIGN3, P3, [30], THETA)
    assert cp.method == "exact"
    assert cp.value == pytest.approx(0.88057256, rel=1e-7)
    # rpact's CRP at stage 3 is the same closed form at theta = 0: the threshold itself.
    assert next_stage_threshold(DESIGN3, P3) == pytest.approx(0.15552139, rel=1e-7)
    assert conditional_power_fisher(DESIGN3, P3, [30], 0.0).value == pytest.approx(
        0.15552139, rel=1e-7)


@pytest.mark.parametrize(("design", "p", "crp"), [
    (DESIGN3, P3[:2], 0.067046868),  # two stages left, futility alpha0 = 0.4 at stage 3
    (DESIGN3, P3[:1], 0.029249394),  # three stages left
    (DESIGN6, P6, 0.033302173),
    (DESIGN6, P6[:1], 0.026695414),
], ids=["design3-stage2", "design3-stage1", "design6-stage2", "design6-stage1"])
def test_simulated_conditional_power_under_h0_is_rpacts_exact_crp(design, p, crp):
    n = [30.0] * (design.k - len(p))
    cp = conditional_power_fisher(design, p, n, 0.0, sims=MILLION, seed=11)
    assert cp.method == "simulation" and cp.sims == MILLION
    assert abs(cp.value - crp) <= 4 * cp.se, (cp.value, crp, cp.se)


def test_simulated_conditional_power_matches_rpacts_simulation():
    cp = conditional_power_fisher(DESIGN6, P6, [30, 20], THETA, sims=MILLION, seed=3)
    # rpact's 800 iterations: 3 binomial SE of its estimate (ours is ~30x more precise).
    for ours, ref in zip(cp.by_stage, [0.54125, 0.8125], strict=True):
        assert abs(ours - ref) <= 3 * math.sqrt(ref * (1 - ref) / 800), (ours, ref)
    # The first of the remaining stages has a closed form; the simulation agrees within 4 SE.
    exact_next = conditional_power_next_stage(DESIGN6, P6, 30, THETA)
    se_next = math.sqrt(exact_next * (1 - exact_next) / MILLION)
    assert abs(cp.by_stage[0] - exact_next) <= 4 * se_next


def _direct_two_stages_left(design: FisherDesign, p1: float, n: list[float], theta: float) -> float:
    """P(reject at stage 2 or 3 | p_1) for a three-stage design, by quadrature over z_2."""
    w, c, a0 = design.weights, design.critical_values, design.alpha0[1]
    m2, m3 = theta * math.sqrt(n[0]), theta * math.sqrt(n[1])

    def integrand(z2: float) -> float:
        p2 = stats.norm.sf(z2)
        product = p1 * p2 ** w[1]
        if product <= c[1]:
            inner = 1.0
        elif p2 > a0:
            inner = 0.0
        else:
            u3 = min(1.0, (c[2] / product) ** (1 / w[2]))
            inner = stats.norm.cdf(m3 - stats.norm.isf(u3))
        return stats.norm.pdf(z2 - m2) * inner

    breaks = [stats.norm.isf((c[1] / p1) ** (1 / w[1])), stats.norm.isf(a0)]
    value, _ = integrate.quad(integrand, m2 - 12, m2 + 12, points=breaks, limit=200,
                              epsabs=1e-12)
    return value


@pytest.mark.parametrize("theta", [0.0, 0.15, 0.3])
def test_two_stages_left_against_a_direct_integral(theta):
    design = fisher_design(3, alpha0=0.5, information_rates=[0.3, 0.6, 1.0])
    p1, n = 0.08, [60.0, 80.0]
    cp = conditional_power_fisher(design, [p1], n, theta, sims=MILLION, seed=5)
    direct = _direct_two_stages_left(design, p1, n, theta)
    assert abs(cp.value - direct) <= 4 * cp.se, (cp.value, direct, cp.se)


def test_two_stages_left_against_plain_monte_carlo():
    # Independent of the closed form used for the last stage: every future p-value drawn,
    # the design's own decision rule applied (efficacy, then futility). 10^6 draws, 4 SE.
    design = fisher_design(3, alpha0=0.5, information_rates=[0.3, 0.6, 1.0])
    p1, n, theta = 0.08, np.array([60.0, 80.0]), 0.15
    rng = np.random.default_rng(17)
    p = p_from_z(theta * np.sqrt(n) + rng.standard_normal((MILLION, 2)))
    w, c = design.weights, design.critical_values
    prod2 = p1 * p[:, 0] ** w[1]
    reject2 = prod2 <= c[1]
    reject3 = ~reject2 & (p[:, 0] <= design.alpha0[1]) & (prod2 * p[:, 1] ** w[2] <= c[2])
    hits = reject2 | reject3
    mc, se = hits.mean(), hits.std() / math.sqrt(MILLION)
    cp = conditional_power_fisher(design, [p1], n, theta, sims=MILLION, seed=23)
    assert abs(cp.value - mc) <= 4 * math.hypot(se, cp.se)


def test_simulation_is_seeded():
    design = fisher_design(3)
    a = conditional_power_fisher(design, [0.1], [50, 50], 0.2, sims=10_000, seed=1)
    b = conditional_power_fisher(design, [0.1], [50, 50], 0.2, sims=10_000, seed=1)
    c = conditional_power_fisher(design, [0.1], [50, 50], 0.2, sims=10_000, seed=2)
    assert a.value == b.value and np.array_equal(a.by_stage, b.by_stage)
    assert a.value != c.value
    assert np.all(np.diff(a.by_stage) >= 0)


def test_futility_lowers_conditional_power():
    free = fisher_design(3, information_rates=[0.3, 0.6, 1.0])
    futile = fisher_design(3, alpha0=0.3, information_rates=[0.3, 0.6, 1.0])
    # Same seed, same draws; the stricter design continues less often after stage 2.
    a = conditional_power_fisher(free, [0.05], [60, 80], 0.1, sims=200_000, seed=4)
    b = conditional_power_fisher(futile, [0.05], [60, 80], 0.1, sims=200_000, seed=4)
    assert b.by_stage[-1] - b.by_stage[0] < a.by_stage[-1] - a.by_stage[0]


def test_observed_effect_and_planned_effect():
    design = fisher_design(2, information_rates=[0.5, 1.0])
    p1, n = 0.04, [100.0, 100.0]
    theta_hat = observed_theta(z_from_p([p1]), n)
    assert theta_hat == pytest.approx(stats.norm.isf(p1) / 10)
    observed = conditional_power_fisher_observed(design, [p1], n, n[1:])
    assert observed.value == pytest.approx(
        conditional_power_fisher(design, [p1], n[1:], theta_hat).value)
    # Closed form: the second stage rejects for p_2 <= c_2 / p_1.
    u = design.critical_values[1] / p1
    assert observed.value == pytest.approx(stats.norm.cdf(theta_hat * 10 - stats.norm.isf(u)),
                                           rel=1e-12)


def test_weighted_two_stage_closed_form():
    # Unequal information: w_2 = sqrt((1 - 0.3) / 0.3); the threshold is (c_2 / p_1)^(1 / w_2).
    design = fisher_design(2, alpha0=0.5, information_rates=[0.3, 1.0])
    p1, n2, theta = 0.1, 120.0, 0.2
    u = (design.critical_values[1] / p1) ** (1 / design.weights[1])
    assert next_stage_threshold(design, [p1]) == pytest.approx(u, rel=1e-12)
    assert conditional_power_fisher(design, [p1], [n2], theta).value == pytest.approx(
        stats.norm.cdf(theta * math.sqrt(n2) - stats.norm.isf(u)), rel=1e-12)


def test_final_critical_value_already_reached_gives_one():
    design = fisher_design(2, information_rates=[0.5, 1.0])
    p1 = design.critical_values[1] / 2  # below even the final critical value
    assert next_stage_threshold(design, [p1]) == 1.0
    assert conditional_power_fisher(design, [p1], [10], -0.5).value == 1.0


def test_next_stage_size_reaches_the_target():
    design = fisher_design(3, alpha0=0.5)
    n = next_stage_size_fisher(design, [0.2], 0.1, 0.9)
    assert conditional_power_next_stage(design, [0.2], n, 0.1) == pytest.approx(0.9, rel=1e-10)
    assert next_stage_size_fisher(design, [0.2], -0.1, 0.9) == math.inf
    tiny = design.critical_values[1] / 2
    assert next_stage_size_fisher(design, [tiny], 0.1, 0.5) == 0.0


def test_bad_input_is_refused():
    design = fisher_design(2)
    with pytest.raises(ValueError):
        conditional_power_fisher(design, [0.1, 0.2], [10], 0.1)
    with pytest.raises(ValueError):
        conditional_power_fisher(design, [0.1], [0.0], 0.1)
    with pytest.raises(ValueError):
        conditional_power_fisher(design, [0.0], [10], 0.1)
    with pytest.raises(ValueError):
        next_stage_size_fisher(design, [0.1], 0.1, 1.0)
