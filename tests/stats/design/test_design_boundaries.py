"""Group-sequential boundaries against published values and against independent computations.

Published values (source next to each number) are checked to their printed precision; every
design is also checked against an independent computation of the same probabilities:
scipy's multivariate normal CDF of the joint z-statistics (covariance sqrt(t_i / t_j)) and a
Monte Carlo of the Brownian motion with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trialdesk.stats.design.boundaries import group_sequential_design
from trialdesk.stats.design.numint import crossing_probabilities, grid
from trialdesk.stats.design.spending import SpendingFunction

# --- independent computations -------------------------------------------------------------------


def _cov(t: np.ndarray) -> np.ndarray:
    return np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))


def mvn_cross_upper(t, upper, lower, drift=0.0) -> np.ndarray:
    """P(first crossing is the upper bound at look k), by scipy's multivariate normal CDF.

    Event: a_j < Z_j < b_j for j < k and Z_k > b_k, a rectangle in k dimensions.
    """
    t = np.asarray(t, float)
    out = []
    for k in range(1, t.size + 1):
        mean = drift * np.sqrt(t[:k])
        lo = np.concatenate([lower[: k - 1], [upper[k - 1]]])
        hi = np.concatenate([upper[: k - 1], [np.inf]])
        if k == 1:
            p = stats.norm.sf(upper[0] - mean[0])
        else:
            p = stats.multivariate_normal.cdf(
                hi, mean, _cov(t[:k]), lower_limit=lo, abseps=1e-9, releps=1e-9, maxpts=2_000_000
            )
        out.append(float(p))
    return np.array(out)


def brownian_exit(t, upper, lower, drift, paths=400_000, seed=7):
    """Monte Carlo of the canonical joint distribution: per-look upper and lower exit rates."""
    rng = np.random.default_rng(seed)
    t = np.asarray(t, float)
    inc = rng.standard_normal((paths, t.size)) * np.sqrt(np.diff(t, prepend=0.0)) + drift * np.diff(
        t, prepend=0.0
    )
    z = np.cumsum(inc, axis=1) / np.sqrt(t)
    up, lo = z >= upper, z <= lower
    stop = up | lo
    stop[:, -1] = True
    first = np.argmax(stop, axis=1)
    rows = np.arange(paths)
    pu = np.bincount(first[up[rows, first]], minlength=t.size) / paths
    pl = np.bincount(first[lo[rows, first] & ~up[rows, first]], minlength=t.size) / paths
    return pu, pl


# --- published values ----------------------------------------------------------------------------


def test_obf_type_spending_matches_rpact():
    # rpact: getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asOF")
    # $criticalValues 3.7103 2.5114 1.9930 (the issue's reference); tolerance 1e-4.
    d = group_sequential_design(3, alpha=0.025, spending="obf")
    np.testing.assert_allclose(d.upper, [3.7103, 2.5114, 1.9930], atol=1e-4)


def test_classical_obrien_fleming_matches_rpact():
    # rpact: getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "OF")
    # $criticalValues 3.4711 2.4544 2.0040; tolerance 1e-4.
    d = group_sequential_design(3, alpha=0.025, spending="classical-obf")
    np.testing.assert_allclose(d.upper, [3.4711, 2.4544, 2.0040], atol=1e-4)


# Jennison and Turnbull (2000), Table 2.1: Pocock constants C_P(K, alpha), two-sided;
# Table 2.3: O'Brien-Fleming constants C_B(K, alpha) (final bound; b_k = C_B sqrt(K/k)).
# Printed to 3 decimals: tolerance 6e-4.
POCOCK = {
    0.01: {2: 2.772, 3: 2.873, 4: 2.939, 5: 2.986, 6: 3.023, 8: 3.078, 10: 3.117},
    0.05: {2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413, 6: 2.453, 8: 2.512, 10: 2.555},
    0.10: {2: 1.875, 3: 1.992, 4: 2.067, 5: 2.122, 6: 2.164, 8: 2.225, 10: 2.270},
}
OBF = {
    0.01: {2: 2.580, 3: 2.595, 4: 2.609, 5: 2.621, 6: 2.631, 8: 2.648, 10: 2.660},
    0.05: {2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040, 6: 2.053, 8: 2.072, 10: 2.087},
    0.10: {2: 1.678, 3: 1.710, 4: 1.733, 5: 1.751, 6: 1.765, 8: 1.786, 10: 1.801},
}


@pytest.mark.parametrize("alpha", sorted(POCOCK))
def test_classical_pocock_matches_jennison_turnbull_table_2_1(alpha):
    for k, c in POCOCK[alpha].items():
        d = group_sequential_design(k, alpha=alpha, sided=2, spending="classical-pocock")
        np.testing.assert_allclose(d.upper, c, atol=6e-4, err_msg=f"K={k}")


@pytest.mark.parametrize("alpha", sorted(OBF))
def test_classical_obf_matches_jennison_turnbull_table_2_3(alpha):
    for k, c in OBF[alpha].items():
        d = group_sequential_design(k, alpha=alpha, sided=2, spending="classical-obf")
        expected = c * np.sqrt(k / np.arange(1, k + 1))
        np.testing.assert_allclose(d.upper, expected, atol=6e-4 * np.sqrt(k), err_msg=f"K={k}")


def test_classical_pocock_three_looks_one_sided_0025():
    # Pocock (1977) / J&T Table 2.1: C_P(3, 0.05 two-sided) = 2.289, the same as one-sided 0.025.
    # (A value of 2.2891 is sometimes quoted; the MVN check shows 2.2895 spends exactly 0.025.)
    d = group_sequential_design(3, alpha=0.025, spending="classical-pocock")
    assert d.upper[0] == pytest.approx(2.289, abs=6e-4)
    t = d.information_rates
    size = 1 - stats.multivariate_normal.cdf(
        d.upper, np.zeros(3), _cov(t), abseps=1e-9, releps=1e-9
    )
    assert size == pytest.approx(0.025, abs=2e-5)


# Jennison and Turnbull (2000), Table 2.2 (Pocock, R_P) and Table 2.4 (O'Brien-Fleming, R_B):
# maximum sample size relative to the fixed design, two-sided alpha = 0.05. Tolerance 6e-4.
INFLATION = {
    ("classical-pocock", 0.2): {2: 1.110, 3: 1.166, 4: 1.202, 5: 1.229},
    ("classical-pocock", 0.1): {2: 1.100, 3: 1.151, 4: 1.183, 5: 1.207},
    ("classical-obf", 0.2): {2: 1.008, 3: 1.017, 4: 1.024, 5: 1.028},
    ("classical-obf", 0.1): {2: 1.007, 3: 1.016, 4: 1.022, 5: 1.026},
}


@pytest.mark.parametrize(("kind", "beta"), sorted(INFLATION))
def test_inflation_factors_match_jennison_turnbull_tables_2_2_and_2_4(kind, beta):
    for k, r in INFLATION[(kind, beta)].items():
        d = group_sequential_design(k, alpha=0.05, beta=beta, sided=2, spending=kind)
        assert d.inflation_factor == pytest.approx(r, abs=6e-4), f"K={k}"


def test_two_sided_lan_demets_five_looks_match_demets_lan_1994():
    # DeMets and Lan (1994), Stat Med 13:1341, Table I: two-sided alpha 0.05, five equally spaced
    # looks; OBF-type 4.877 3.357 2.680 2.290 2.031; Pocock-type 2.438 2.427 2.410 2.397 2.386.
    # Printed to 3 decimals: tolerance 6e-4.
    obf = group_sequential_design(5, alpha=0.05, sided=2, spending="obf")
    np.testing.assert_allclose(obf.upper, [4.877, 3.357, 2.680, 2.290, 2.031], atol=6e-4)
    np.testing.assert_allclose(obf.lower, -obf.upper)
    poc = group_sequential_design(5, alpha=0.05, sided=2, spending="pocock")
    np.testing.assert_allclose(poc.upper, [2.438, 2.427, 2.410, 2.397, 2.386], atol=6e-4)


def test_hsd_with_beta_spending_futility_matches_gsdesign_default():
    # gsDesign 3.x: gsDesign() with its defaults (k = 3, test.type = 4: non-binding futility,
    # alpha = 0.025, beta = 0.1, sfu = sfHSD gamma -4, sfl = sfHSD gamma -2) prints
    # upper 3.01 2.55 2.00, lower -0.24 0.94 2.00, sample size ratio 0.357 0.713 1.070.
    d = group_sequential_design(
        3, alpha=0.025, beta=0.1, spending="hsd", gamma=-4, futility="hsd", futility_gamma=-2
    )
    np.testing.assert_allclose(d.upper, [3.01, 2.55, 2.00], atol=0.006)
    np.testing.assert_allclose(d.lower, [-0.24, 0.94, 2.00], atol=0.006)
    np.testing.assert_allclose(
        d.inflation_factor * d.information_rates, [0.357, 0.713, 1.070], atol=6e-4
    )
    # beta spent at each look is the HSD(-2) spending function (gsDesign prints 0.0148 first)
    np.testing.assert_allclose(
        d.cumulative_beta(), SpendingFunction("hsd", -2.0)(d.information_rates, 0.1), atol=1e-7
    )
    assert d.cumulative_beta()[0] == pytest.approx(0.0148, abs=5e-5)


# --- independent cross-checks -------------------------------------------------------------------

DESIGNS = {
    "obf": {"k": 3},
    "pocock": {"k": 4, "spending": "pocock"},
    "hsd-4 unequal": {
        "k": 4,
        "spending": "hsd",
        "gamma": -4,
        "information_rates": [0.2, 0.5, 0.7, 1],
    },
    "hsd+1": {"k": 3, "spending": "hsd", "gamma": 1.0},
    "kd rho=3": {"k": 5, "spending": "kd", "rho": 3.0},
    "kd rho=1.5 unequal": {
        "k": 3,
        "spending": "kd",
        "rho": 1.5,
        "information_rates": [0.25, 0.6, 1],
    },
    "obf two-sided": {"k": 4, "sided": 2, "alpha": 0.05},
}


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_boundaries_spend_exactly_the_spending_function_by_mvn(name):
    d = group_sequential_design(**DESIGNS[name])
    t = d.information_rates
    per_side = d.spending(t, d.alpha / d.sided)
    # Cumulative alpha (one side) from scipy's MVN integration, independent of our recursion.
    mvn = np.cumsum(mvn_cross_upper(t, d.upper, d.lower))
    np.testing.assert_allclose(mvn, per_side, atol=3e-6)
    np.testing.assert_allclose(d.cumulative_alpha(), d.sided * per_side, atol=1e-9)


@pytest.mark.parametrize("name", ["obf", "pocock", "hsd-4 unequal", "obf two-sided"])
def test_power_at_design_drift_by_mvn(name):
    d = group_sequential_design(**DESIGNS[name])
    power = mvn_cross_upper(d.information_rates, d.upper, d.lower, d.drift).sum()
    assert power == pytest.approx(1 - d.beta, abs=5e-6)


def test_futility_design_probabilities_by_monte_carlo():
    d = group_sequential_design(3, alpha=0.025, beta=0.2, futility="obf")
    for drift in (0.0, d.drift):
        ours = d.probabilities(drift)
        pu, pl = brownian_exit(d.information_rates, d.upper, d.lower, drift)
        se = np.sqrt(np.maximum(ours.upper * (1 - ours.upper), 1e-12) / 400_000)
        assert np.all(np.abs(pu - ours.upper) < 4 * se + 1e-6)
        se = np.sqrt(np.maximum(ours.lower * (1 - ours.lower), 1e-12) / 400_000)
        assert np.all(np.abs(pl - ours.lower) < 4 * se + 1e-6)


def test_futility_bounds_spend_beta_and_meet_at_the_end():
    for binding in (False, True):
        d = group_sequential_design(
            4,
            alpha=0.025,
            beta=0.2,
            futility="pocock",
            binding=binding,
            information_rates=[0.3, 0.5, 0.8, 1.0],
        )
        assert d.lower[-1] == pytest.approx(d.upper[-1])
        expected = SpendingFunction("pocock")(d.information_rates, 0.2)
        np.testing.assert_allclose(d.cumulative_beta(), expected, atol=1e-7)
        assert d.power() == pytest.approx(0.8, abs=1e-6)
        # type I error: the spending function, computed with the futility stop only if binding
        p0 = mvn_cross_upper(
            d.information_rates, d.upper, d.lower if binding else np.full(4, -np.inf)
        )
        np.testing.assert_allclose(
            np.cumsum(p0), SpendingFunction("obf")(d.information_rates, 0.025), atol=3e-6
        )


def test_binding_futility_lowers_the_efficacy_bounds_and_the_inflation():
    nb = group_sequential_design(3, alpha=0.025, beta=0.2, futility="obf")
    b = group_sequential_design(3, alpha=0.025, beta=0.2, futility="obf", binding=True)
    assert np.all(b.upper[1:] < nb.upper[1:])
    assert b.inflation_factor < nb.inflation_factor
    assert nb.inflation_factor > group_sequential_design(3, alpha=0.025).inflation_factor


def test_expected_sample_size_matches_monte_carlo():
    d = group_sequential_design(4, alpha=0.025, spending="pocock")
    pu, pl = brownian_exit(d.information_rates, d.upper, d.lower, d.drift)
    stop = pu + pl
    stop[-1] = 1 - stop[:-1].sum()
    assert d.expected_information(d.drift) == pytest.approx(stop @ d.information_rates, abs=2e-3)


def test_spending_functions_reach_the_level_and_increase():
    t = np.linspace(0, 1, 101)
    for fn in (
        SpendingFunction("obf"),
        SpendingFunction("pocock"),
        SpendingFunction("hsd", -4),
        SpendingFunction("hsd", 0.0),
        SpendingFunction("hsd", 2.0),
        SpendingFunction("kd", rho=2),
    ):
        v = fn(t, 0.025)
        assert v[0] == pytest.approx(0.0, abs=1e-15)
        assert v[-1] == pytest.approx(0.025)
        assert np.all(np.diff(v) >= -1e-15)
    # HSD with gamma = 1 ... gamma -> 0 is linear; Kim-DeMets rho = 1 is linear too.
    np.testing.assert_allclose(SpendingFunction("hsd", 1e-13)(t, 0.05), 0.05 * t, atol=1e-12)
    np.testing.assert_allclose(SpendingFunction("kd", rho=1)(t, 0.05), 0.05 * t, atol=1e-15)


def test_update_with_observed_information_keeps_spending_consistent():
    d = group_sequential_design(3, alpha=0.025)
    u = d.update([0.40])  # first look came late: 40% instead of 33%
    np.testing.assert_allclose(u.information_rates, [0.4, 2 / 3, 1.0])
    assert u.upper[0] == pytest.approx(stats.norm.isf(float(d.spending(0.4, 0.025))), abs=1e-8)
    np.testing.assert_allclose(
        u.cumulative_alpha(), d.spending(u.information_rates, 0.025), atol=1e-9
    )
    # over-running final analysis: final look at 105% spends everything that is left
    f = d.update([0.4, 0.7, 1.05])
    assert f.k == 3 and f.cumulative_alpha()[-1] == pytest.approx(0.025, abs=1e-9)
    mvn = np.cumsum(mvn_cross_upper(f.information_rates, f.upper, f.lower))
    assert mvn[-1] == pytest.approx(0.025, abs=3e-6)
    # an early stop of recruitment: the second look is declared final
    g = d.update([0.35, 0.8], final=True)
    assert g.k == 2 and g.cumulative_alpha()[-1] == pytest.approx(0.025, abs=1e-9)


def test_nominal_p_and_effect_scale():
    d = group_sequential_design(3, alpha=0.025)
    np.testing.assert_allclose(d.nominal_p(), stats.norm.sf(d.upper))
    # The final bound on the effect scale, for a design powered at delta, is below delta.
    eff = d.effect_scale(0.2)
    assert np.all(np.diff(eff) < 0) and eff[-1] < 0.2
    # z = effect * sqrt(I_k): reproduces the bound at each look
    info_max = (d.drift / 0.2) ** 2
    np.testing.assert_allclose(eff * np.sqrt(d.information_rates * info_max), d.upper)


def test_grid_integrates_the_normal_density_precisely():
    for lower, upper in ((-np.inf, np.inf), (-1.0, 2.0), (0.3, 0.31)):
        z, w = grid(0.5, lower, upper)
        mass = w @ stats.norm.pdf(z - 0.5)
        assert mass == pytest.approx(
            stats.norm.cdf(upper - 0.5) - stats.norm.cdf(lower - 0.5), abs=5e-7
        )


def test_crossing_probabilities_single_look_is_the_normal_tail():
    p = crossing_probabilities(np.array([1.0]), np.array([1.96]), np.array([-np.inf]), 0.7)
    assert p.upper[0] == pytest.approx(stats.norm.sf(1.96 - 0.7), abs=1e-14)


def test_bad_designs_are_refused():
    with pytest.raises(ValueError, match="strictly increasing"):
        group_sequential_design(3, information_rates=[0.5, 0.4, 1])
    with pytest.raises(ValueError, match="last information rate"):
        group_sequential_design(2, information_rates=[0.5, 0.9])
    with pytest.raises(ValueError, match="one-sided"):
        group_sequential_design(3, sided=2, alpha=0.05, futility="obf")
    with pytest.raises(ValueError, match="spending family"):
        group_sequential_design(3, spending="nonsense")
