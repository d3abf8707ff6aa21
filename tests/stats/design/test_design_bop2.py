"""BOP2 (Zhou, Lee and Yuan 2017, Stat Med 36:3302-3314): boundaries, exact and simulated
operating characteristics, calibration.

Published reference: the futility and toxicity boundaries for a given (lambda, gamma) are
checked against the boundary tables printed in the README of the CRAN package BOP2FE 1.0.3
(Yimer, Xu et al.; github.com/belayb/BOP2FE, README.md, "Binary endpoint" and "Joint endpoint"),
whose futility rule is BOP2's (stop if Pr(p > phi | data) < lambda (n/N)^gamma, prior = the null
cells with effective sample size 1). The paper's own design tables and the BOP2 app's manual
could not be retrieved, so the calibrated (lambda, gamma) and the operating characteristics are
checked against independent brute-force computations instead: Monte Carlo of the Dirichlet
posterior for the closed-form Beta marginals, a sum over every individual outcome sequence (4^N
paths) for the exact operating characteristics, a patient-level simulation that applies the
posterior rule itself at each look (no count boundary) for the BOP2FE README's joint design and
for a calibrated design, and a naive grid search for the calibration. (Searched again for issue
23: the stored corpora hold the paper's abstract and later BOP2 papers' openings, not its tables.
Exact operating characteristics printed by the GBOP2 package's vignette and BOP2FE's nested and
co-primary boundaries are checked in test_design_bop2_published.py.)
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trialdesk.stats.design import bop2

JOINT_NULL = (0.15, 0.30, 0.15, 0.40)  # p_E = 0.45, p_T = 0.30
JOINT_ALT = (0.18, 0.42, 0.02, 0.38)  # p_E = 0.60, p_T = 0.20


def brute_force_oc(bounds: bop2.Bop2Boundaries, cells: tuple[float, ...]) -> dict[str, float]:
    """Sum over all 4^N outcome sequences, applying the rule at each look."""
    n_max = bounds.looks[-1]
    promising = 0.0
    stop = [0.0] * len(bounds.looks)
    for seq in itertools.product(range(4), repeat=n_max):
        prob = float(np.prod([cells[c] for c in seq]))
        for k, look in enumerate(bounds.looks):
            head = seq[:look]
            eff = sum(c in (0, 1) for c in head)
            tox = sum(c in (0, 2) for c in head)
            if eff <= bounds.eff_stop[k] or tox >= bounds.tox_stop[k]:
                stop[k] += prob
                break
        else:
            promising += prob
    return {"promising": promising, "stop": stop}


def assert_monotone(bounds: bop2.Bop2Boundaries) -> None:
    """The cutoff C(n) never rises, so a stop stays a stop: a path that stopped for futility
    at look j (x <= a_j) with no response afterwards stops at look k > j (a_k >= a_j); one that
    stopped for toxicity (y >= b_j) with only toxicities afterwards stops too
    (b_k <= b_j + n_k - n_j). (The toxicity count boundary itself may fall as C(n) drops.)"""
    for j, k in itertools.combinations(range(len(bounds.looks)), 2):
        assert bounds.eff_stop[k] >= bounds.eff_stop[j]
        assert bounds.tox_stop[k] <= bounds.tox_stop[j] + bounds.looks[k] - bounds.looks[j]


def test_boundaries_match_bop2fe_readme_binary_endpoint():
    # BOP2FE README, "Binary endpoint": BOP2FE_binary(H0 = 0.2, H1 = 0.4,
    # n = c(10,5,5,5,5,5,5), lambda = 0.909, gamma = 1, method = "OF"):
    # "Futility boundary 1 2 3 5 7 9 11" (stop if #responses <= boundary).
    problem = bop2.single_endpoint((10, 15, 20, 25, 30, 35, 40), 0.2, 0.4)
    bounds = bop2.boundaries(problem, 0.909, 1.0)
    assert bounds.eff_stop == (1, 2, 3, 5, 7, 9, 11)


def test_boundaries_match_bop2fe_readme_joint_efficacy_toxicity():
    # BOP2FE README, "Joint endpoint": BOP2FE_jointefftox(H0 = c(0.15, 0.30, 0.15, 0.40),
    # H1 = c(0.18, 0.42, 0.02, 0.38), n = c(10,5,5,5,5,5,5), lambda = 0.7, gamma = 1):
    # "Futility boundary response 3 5 8 10 13 16 19" (stop if #responses <= boundary) and
    # "Futility boundary toxicity 5 6 7 8 9 10 11" (stop if #toxicities >= boundary).
    # (H0 and H1 are the efficacy-toxicity example of Zhou, Lee and Yuan 2017.)
    problem = bop2.Bop2Problem((10, 15, 20, 25, 30, 35, 40), JOINT_NULL, JOINT_ALT)
    bounds = bop2.boundaries(problem, 0.7, 1.0)
    assert bounds.eff_stop == (3, 5, 8, 10, 13, 16, 19)
    assert bounds.tox_stop == (5, 6, 7, 8, 9, 10, 11)


def test_beta_marginals_match_monte_carlo_of_the_dirichlet_posterior():
    problem = bop2.Bop2Problem((10, 20), JOINT_NULL, JOINT_ALT)
    counts = np.array([3, 6, 2, 9])  # n = 20: 9 efficacies, 5 toxicities
    rng = np.random.default_rng(11)
    draws = rng.dirichlet(problem.dirichlet + counts, 400_000)
    p_eff, p_tox = draws[:, 0] + draws[:, 1], draws[:, 0] + draws[:, 2]
    mc_fut = np.mean(p_eff <= problem.phi_eff)
    mc_tox = np.mean(p_tox > problem.phi_tox)
    se = 0.5 / np.sqrt(len(draws))
    assert bop2.futility_probability(problem, 20)[9] == pytest.approx(mc_fut, abs=4 * se)
    assert bop2.toxicity_probability(problem, 20)[5] == pytest.approx(mc_tox, abs=4 * se)


def test_default_prior_is_the_null_with_effective_sample_size_one():
    problem = bop2.Bop2Problem((10, 20), JOINT_NULL, JOINT_ALT)
    np.testing.assert_allclose(problem.dirichlet, JOINT_NULL)
    assert problem.beta_eff() == pytest.approx((0.45, 0.55))
    assert problem.beta_tox() == pytest.approx((0.30, 0.70))
    single = bop2.single_endpoint((10, 20), 0.2, 0.4)
    assert single.beta_eff() == pytest.approx((0.2, 0.8)) and single.phi_tox is None


@pytest.mark.parametrize("lam,gamma", [(0.9, 1.0), (0.75, 0.5), (0.95, 2.0)])
def test_boundaries_are_the_posterior_rule_and_monotone(lam, gamma):
    problem = bop2.Bop2Problem((10, 20, 30, 40), JOINT_NULL, JOINT_ALT)
    bounds = bop2.boundaries(problem, lam, gamma)
    for k, n in enumerate(problem.looks):
        c = 1 - lam * (n / 40) ** gamma
        assert bounds.cutoffs[k] == pytest.approx(c)
        fut = bop2.futility_probability(problem, n)
        tox = bop2.toxicity_probability(problem, n)
        stop_eff = [x for x in range(n + 1) if fut[x] > c]
        stop_tox = [y for y in range(n + 1) if tox[y] > c]
        # The count boundary is exactly the set where the posterior rule says stop.
        assert stop_eff == list(range(bounds.eff_stop[k] + 1))
        assert stop_tox == list(range(bounds.tox_stop[k], n + 1))
    assert_monotone(bounds)
    # A larger lambda (a lower cutoff) stops more at every look.
    stricter = bop2.boundaries(problem, min(lam + 0.04, 1.0), gamma)
    assert all(s >= b for s, b in zip(stricter.eff_stop, bounds.eff_stop, strict=True))
    assert all(s <= b for s, b in zip(stricter.tox_stop, bounds.tox_stop, strict=True))


@pytest.mark.parametrize("cells", [JOINT_NULL, JOINT_ALT, (0.05, 0.25, 0.30, 0.40)])
def test_exact_oc_equals_sum_over_every_outcome_sequence(cells):
    # Small design (looks 3, 6, 8: 4^8 = 65,536 sequences) with boundaries that bite.
    bounds = bop2.Bop2Boundaries((3, 6, 8), (0, 2, 3), (3, 4, 4), (0.9, 0.7, 0.5))
    exact = bop2.exact_oc(bounds, cells)
    brute = brute_force_oc(bounds, cells)
    assert exact.p_promising == pytest.approx(brute["promising"], abs=1e-12)
    np.testing.assert_allclose(exact.p_stop_by_look, brute["stop"], atol=1e-12)
    assert exact.p_promising + sum(exact.p_stop_by_look) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("cells", [JOINT_NULL, JOINT_ALT])
def test_simulated_oc_within_three_standard_errors_of_exact(cells):
    problem = bop2.Bop2Problem((10, 20, 30, 40), JOINT_NULL, JOINT_ALT)
    bounds = bop2.boundaries(problem, 0.8, 1.0)
    exact = bop2.exact_oc(bounds, cells)
    sim = bop2.simulated_oc(bounds, cells, sims=200_000, seed=5)
    assert sim.standard_error > 0
    assert abs(sim.p_promising - exact.p_promising) < 3 * sim.standard_error
    for p_exact, p_sim in zip(exact.p_stop_by_look, sim.p_stop_by_look, strict=True):
        se = np.sqrt(p_exact * (1 - p_exact) / 200_000)
        assert abs(p_sim - p_exact) < 3 * se + 1e-12
    assert bop2.simulated_oc(bounds, cells, sims=5000, seed=9) == bop2.simulated_oc(
        bounds, cells, sims=5000, seed=9)


def test_calibrated_single_endpoint_design_keeps_alpha_and_maximizes_power():
    # p0 = 0.2, p1 = 0.4, N = 40, looks every 10, alpha = 0.1 (the BOP2 app's introductory
    # setting). The chosen design is checked by brute force over a coarse grid.
    problem = bop2.single_endpoint((10, 20, 30, 40), 0.2, 0.4)
    lambdas, gammas = np.arange(0.70, 1.0, 0.02), np.arange(0.0, 3.01, 0.25)
    design = bop2.calibrate(problem, 0.1, lambdas=lambdas, gammas=gammas)
    assert design.null_oc.p_promising <= 0.1
    best = 0.0
    for lam, gam in itertools.product(lambdas, gammas):
        b = bop2.boundaries(problem, lam, gam)
        if bop2.exact_oc(b, problem.null_cells).p_promising <= 0.1:
            best = max(best, bop2.exact_oc(b, problem.alt_cells).p_promising)
    assert design.alt_oc.p_promising == pytest.approx(best, abs=1e-12)
    # Monotone boundaries; type I error by exact enumeration of the chosen boundaries.
    assert_monotone(design.bounds)
    assert bop2.exact_oc(design.bounds, (0.0, 0.2, 0.0, 0.8)).p_promising <= 0.1
    assert all(t == n + 1 for t, n in zip(design.bounds.tox_stop, problem.looks, strict=True))


def test_calibrated_joint_design_type_one_error_at_most_alpha():
    problem = bop2.Bop2Problem((10, 20, 30, 40), JOINT_NULL, JOINT_ALT)
    design = bop2.calibrate(problem, 0.05)
    assert design.null_oc.p_promising <= 0.05
    assert design.alt_oc.p_promising > 0.5
    assert design.null_oc.p_promising == pytest.approx(
        bop2.exact_oc(design.bounds, JOINT_NULL).p_promising)
    assert_monotone(design.bounds)
    summary = design.summary()
    assert summary["type_i_error"] <= 0.05 and len(summary["boundaries"]) == 4


def test_where_trial_stands_agrees_with_the_boundary_table():
    problem = bop2.Bop2Problem((10, 20, 30, 40), JOINT_NULL, JOINT_ALT)
    design = bop2.calibrate(problem, 0.05)
    lam, gam = design.lam, design.gamma
    a, b = design.bounds.eff_stop[1], design.bounds.tox_stop[1]
    at = bop2.where_trial_stands(problem, lam, gam, 20, a, 0)
    assert at["stop_for_futility"] and not at["stop_for_toxicity"] and at["at_look"]
    assert not bop2.where_trial_stands(problem, lam, gam, 20, a + 1, b - 1)["stop_for_futility"]
    assert not bop2.where_trial_stands(problem, lam, gam, 20, a + 1, b - 1)["stop_for_toxicity"]
    assert bop2.where_trial_stands(problem, lam, gam, 20, 20, b)["stop_for_toxicity"]
    assert not bop2.where_trial_stands(problem, lam, gam, 25, 12, 3)["at_look"]
    with pytest.raises(ValueError):
        bop2.where_trial_stands(problem, lam, gam, 20, 21, 0)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="four cell"):
        bop2.Bop2Problem((10, 20), (0.5, 0.5, 0.5, 0.5), JOINT_ALT)
    with pytest.raises(ValueError, match="increasing"):
        bop2.Bop2Problem((20, 10), JOINT_NULL, JOINT_ALT)
    with pytest.raises(ValueError, match="incompatible"):
        bop2.cells_from_marginals(0.2, 0.3, 0.25)
    assert bop2.cells_from_marginals(0.45, 0.30, 0.15) == pytest.approx(JOINT_NULL)


def test_type_one_error_of_a_calibrated_small_design_by_every_outcome_sequence():
    problem = bop2.Bop2Problem((4, 8), JOINT_NULL, JOINT_ALT)
    design = bop2.calibrate(problem, 0.1)
    brute_null = brute_force_oc(design.bounds, JOINT_NULL)
    brute_alt = brute_force_oc(design.bounds, JOINT_ALT)
    assert brute_null["promising"] <= 0.1
    assert design.null_oc.p_promising == pytest.approx(brute_null["promising"], abs=1e-12)
    assert design.alt_oc.p_promising == pytest.approx(brute_alt["promising"], abs=1e-12)


@pytest.mark.parametrize("cells", [JOINT_NULL, JOINT_ALT, (0.0, 0.3, 0.0, 0.7)])
def test_the_calibrations_shared_prefix_walk_equals_exact_oc_design_by_design(cells):
    # calibrate() evaluates thousands of boundary sets through _stops_many (designs sorted by
    # boundaries share their first looks); each must equal the one-design computation.
    looks = (10, 20, 30, 40)
    problem = bop2.Bop2Problem(looks, JOINT_NULL, JOINT_ALT)
    designs = [bop2.boundaries(problem, lam, gam)
               for lam in (0.6, 0.7, 0.8, 0.9) for gam in (0.5, 1.0, 1.1, 2.0)]
    keys = list(dict.fromkeys((b.eff_stop, b.tox_stop) for b in designs))
    stops = bop2._stops_many(looks, cells, keys)
    for b in designs:
        exact = bop2.exact_oc(b, cells)
        np.testing.assert_allclose(stops[(b.eff_stop, b.tox_stop)], exact.p_stop_by_look,
                                   atol=1e-12)


def posterior_rule_simulation(looks: tuple[int, ...], lam: float, gamma: float,
                              cells: tuple[float, ...], sims: int, seed: int
                              ) -> dict[str, object]:
    """An independent brute force: every simulated participant drawn one by one from the four
    cells, and at each look the posterior rule evaluated from its definition (Dirichlet(null)
    prior with effective sample size 1, so Beta marginals; stop if Pr(p_E <= 0.45) > C(n) or
    Pr(p_T > 0.30) > C(n), C(n) = 1 - lambda (n/N)^gamma), no count boundary used."""
    from scipy import special

    rng = np.random.default_rng(seed)
    outcome = rng.choice(4, size=(sims, looks[-1]), p=cells)
    eff = np.cumsum((outcome == 0) | (outcome == 1), axis=1)
    tox = np.cumsum((outcome == 0) | (outcome == 2), axis=1)
    a_e, b_e = JOINT_NULL[0] + JOINT_NULL[1], JOINT_NULL[2] + JOINT_NULL[3]
    a_t, b_t = JOINT_NULL[0] + JOINT_NULL[2], JOINT_NULL[1] + JOINT_NULL[3]
    running = np.ones(sims, dtype=bool)
    stop_at = np.zeros(len(looks))
    size = np.full(sims, float(looks[-1]))
    for k, n in enumerate(looks):
        x, y = eff[:, n - 1], tox[:, n - 1]
        c = 1 - lam * (n / looks[-1]) ** gamma
        # regularized incomplete beta: cdf at 0.45, and the upper tail at 0.30 as
        # I_{0.70}(b, a) (scipy.stats' beta.sf is slow here)
        stop = running & ((special.betainc(a_e + x, b_e + n - x, 0.45) > c)
                          | (special.betainc(b_t + n - y, a_t + y, 0.70) > c))
        stop_at[k] = stop.mean()
        if k < len(looks) - 1:
            size[stop] = n
        running &= ~stop
    return {"promising": running.mean(), "stop": stop_at, "expected_n": size.mean(),
            "sd_n": size.std()}


@pytest.mark.parametrize("cells", [JOINT_NULL, JOINT_ALT, (0.10, 0.50, 0.10, 0.30)])
def test_exact_oc_of_the_bop2fe_readme_joint_design_equal_a_patient_level_simulation(cells):
    # The design whose boundaries BOP2FE's README prints (lambda 0.7, gamma 1, looks every 5
    # from 10 to 40, the paper's efficacy-toxicity null and alternative): its exact operating
    # characteristics against 40,000 simulated trials applying the posterior rule itself.
    looks = (10, 15, 20, 25, 30, 35, 40)
    problem = bop2.Bop2Problem(looks, JOINT_NULL, JOINT_ALT)
    exact = bop2.exact_oc(bop2.boundaries(problem, 0.7, 1.0), cells)
    sims = 40_000
    brute = posterior_rule_simulation(looks, 0.7, 1.0, cells, sims, seed=3302)
    se = np.sqrt(exact.p_promising * (1 - exact.p_promising) / sims)
    assert abs(brute["promising"] - exact.p_promising) < 4 * se + 1e-12
    for p_exact, p_sim in zip(exact.p_stop_by_look, brute["stop"], strict=True):
        assert abs(p_sim - p_exact) < 4 * np.sqrt(p_exact * (1 - p_exact) / sims) + 1e-12
    assert abs(brute["expected_n"] - exact.expected_n) < 4 * brute["sd_n"] / np.sqrt(sims)


def test_calibrated_design_oc_equal_a_patient_level_simulation_of_the_posterior_rule():
    # The calibrated joint design (alpha 0.1, looks every 10 to 40): type I error and power as
    # calibrate() reports them (exact), against the brute-force simulation of its lambda, gamma.
    problem = bop2.Bop2Problem((10, 20, 30, 40), JOINT_NULL, JOINT_ALT)
    design = bop2.calibrate(problem, 0.1)
    sims = 40_000
    for cells, exact in ((JOINT_NULL, design.null_oc), (JOINT_ALT, design.alt_oc)):
        brute = posterior_rule_simulation(problem.looks, design.lam, design.gamma, cells, sims,
                                          seed=7338)
        se = np.sqrt(exact.p_promising * (1 - exact.p_promising) / sims)
        assert abs(brute["promising"] - exact.p_promising) < 4 * se
    assert design.null_oc.p_promising <= 0.1 < design.alt_oc.p_promising
