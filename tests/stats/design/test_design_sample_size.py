"""Sample size and power: proportions, Fisher's exact test, survival, means."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from trialdesk.stats.design.boundaries import group_sequential_design
from trialdesk.stats.design.means import means_sample_size, t_test_power
from trialdesk.stats.design.proportions import (
    fisher_power,
    fisher_rejection_region,
    fisher_sample_size,
    inflate_for_dropout,
    proportions_power,
    proportions_sample_size,
)
from trialdesk.stats.design.survival import (
    event_probability,
    freedman_events,
    schoenfeld_events,
    survival_sample_size,
)

# --- proportions -------------------------------------------------------------------------------


def test_proportions_against_r_power_prop_test():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7 (printed; the documentation
    # example). Same formula as Fleiss 4.14 without continuity correction. Tolerance 0.05.
    r = proportions_sample_size(0.50, 0.75, power=0.90)
    assert r.n_per_arm_exact == pytest.approx(76.7, abs=0.05)
    assert r.n_per_arm == 77 and r.n_total == 154


def test_fleiss_formula_by_hand_and_its_inverse():
    # Fleiss, Levin and Paik (2003) eq. 4.14 and 4.19, computed here independently:
    pc, pt, za, zb = 0.4, 0.2, stats.norm.isf(0.025), stats.norm.isf(0.2)
    pbar = (pc + pt) / 2
    n0 = (
        za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(pc * (1 - pc) + pt * (1 - pt))
    ) ** 2
    n0 /= (pc - pt) ** 2
    n_cc = n0 / 4 * (1 + math.sqrt(1 + 4 / (n0 * (pc - pt)))) ** 2
    assert proportions_sample_size(pc, pt).n_per_arm_exact == pytest.approx(n0, rel=1e-12)
    cc = proportions_sample_size(pc, pt, continuity_correction=True)
    assert cc.n_per_arm_exact == pytest.approx(n_cc, rel=1e-12)
    assert (round(n0, 2), round(n_cc, 2)) == (81.22, 90.95)
    # power at the computed n is the requested power, with and without the correction
    assert proportions_power(n0, pc, pt) == pytest.approx(0.8, abs=1e-12)
    assert proportions_power(n_cc, pc, pt, continuity_correction=True) == pytest.approx(
        0.8, abs=1e-12
    )


def test_unequal_allocation_reduces_to_equal_and_spends_more_on_bigger_arm():
    eq = proportions_sample_size(0.4, 0.2, ratio=1.0)
    two = proportions_sample_size(0.4, 0.2, ratio=2.0)
    assert two.n_treatment_exact == pytest.approx(2 * two.n_per_arm_exact)
    assert two.n_per_arm_exact + two.n_treatment_exact > 2 * eq.n_per_arm_exact
    assert proportions_power(two.n_per_arm_exact, 0.4, 0.2, ratio=2.0) == pytest.approx(0.8)


def test_dropout_and_group_sequential_inflation():
    base = proportions_sample_size(0.4, 0.2, alpha=0.025, sided=1)
    d = group_sequential_design(3, alpha=0.025, beta=0.2)
    gs = proportions_sample_size(
        0.4, 0.2, alpha=0.025, sided=1, inflation_factor=d.inflation_factor, dropout=0.1
    )
    assert gs.n_per_arm == math.ceil(base.n_per_arm_exact * d.inflation_factor / 0.9)
    # the benchmark design: OBF-type, 3 looks, 40% -> 20%: about 83 per arm
    assert (
        proportions_sample_size(
            0.4, 0.2, alpha=0.025, sided=1, inflation_factor=d.inflation_factor
        ).n_per_arm
        == 83
    )
    assert inflate_for_dropout(90, 0.1) == pytest.approx(100)
    with pytest.raises(ValueError):
        inflate_for_dropout(90, 1.0)


def test_fisher_rejection_region_matches_scipy_fisher_exact():
    n_c, n_t = 12, 9
    two = fisher_rejection_region(n_c, n_t, alpha=0.05, sided=2)
    one = fisher_rejection_region(n_c, n_t, alpha=0.10, sided=1, benefit="lower")
    for x_c in range(n_c + 1):
        for x_t in range(n_t + 1):
            table = [[x_t, n_t - x_t], [x_c, n_c - x_c]]
            assert two[x_c, x_t] == (stats.fisher_exact(table).pvalue <= 0.05)
            less = stats.fisher_exact(table, alternative="less").pvalue
            assert one[x_c, x_t] == (less <= 0.10)


def test_fisher_power_by_enumeration_agrees_with_monte_carlo():
    power = fisher_power(20, 0.4, 0.1)
    region = fisher_rejection_region(20, 20)
    rng = np.random.default_rng(11)
    xc = rng.binomial(20, 0.4, 200_000)
    xt = rng.binomial(20, 0.1, 200_000)
    mc = region[xc, xt].mean()
    assert abs(mc - power) < 4 * math.sqrt(power * (1 - power) / 200_000)
    # Fisher's test is conservative: exact size below alpha
    assert fisher_power(20, 0.4, 0.4, benefit="lower") < 0.05


def test_fisher_sample_size_is_the_smallest_n_reaching_power():
    r = fisher_sample_size(0.4, 0.1, power=0.8)
    n = r.n_per_arm
    assert fisher_power(n, 0.4, 0.1) >= 0.8
    assert all(fisher_power(m, 0.4, 0.1) < 0.8 for m in range(n - 5, n))


# --- survival ----------------------------------------------------------------------------------


def test_schoenfeld_events_textbook_value():
    # Schoenfeld (1983): d = 4 (z_.975 + z_.9)^2 / log(0.75)^2 = 507.8 -> 508 events for HR 0.75,
    # two-sided 0.05, 90% power, 1:1 (the value in Collett, Modelling Survival Data, ch. 10).
    assert schoenfeld_events(0.75, power=0.9) == pytest.approx(507.84, abs=0.01)
    assert survival_sample_size(0.75, power=0.9).events == 508
    # Freedman (1982): (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2 = 514.9 -> 515
    assert freedman_events(0.75, power=0.9) == pytest.approx(514.86, abs=0.01)
    # 2:1 allocation needs 9/8 as many events as 1:1
    assert schoenfeld_events(0.6, allocation=2 / 3) == pytest.approx(schoenfeld_events(0.6) * 9 / 8)


def test_event_probability_exact_integral_and_schoenfeld_simpson():
    lam, a, f = math.log(2) / 12, 24.0, 12.0
    # independent: average of 1 - exp(-lam u) for follow-up u uniform on (F, A + F), by quad
    from scipy import integrate

    avg = integrate.quad(lambda u: 1 - math.exp(-lam * u), f, a + f)[0] / a
    assert event_probability(lam, a, f) == pytest.approx(avg, abs=1e-12)
    assert event_probability(lam, a, f, simpson=True) == pytest.approx(avg, abs=2e-3)
    # competing dropout hazard lowers the probability of an observed event
    assert event_probability(lam, a, f, dropout_hazard=0.01) < event_probability(lam, a, f)


def test_survival_participants_from_events_and_event_probability():
    r = survival_sample_size(0.6, median_control=12, accrual_time=24, follow_up=12, dropout=0.1)
    lam = math.log(2) / 12
    prob = 0.5 * event_probability(lam, 24, 12) + 0.5 * event_probability(0.6 * lam, 24, 12)
    assert r.event_probability == pytest.approx(prob)
    assert r.n_total == math.ceil(r.events / prob / 0.9)


# --- means -------------------------------------------------------------------------------------


def test_t_test_matches_r_power_t_test():
    # R: power.t.test(delta = 1, sd = 1, power = .9) -> n = 22.02110 (R's uniroot tolerance),
    # tolerance 1e-4.
    assert means_sample_size(1.0, power=0.9).n_per_arm_exact == pytest.approx(22.02110, abs=1e-4)
    # R: power.t.test(n = 20, delta = 1) -> power = 0.8689528
    assert t_test_power(20, 1.0) == pytest.approx(0.8689528, abs=1e-7)
    # a paired test of n pairs is a one-sample test on the differences
    assert t_test_power(12, 0.7, test_type="paired") == t_test_power(
        12, 0.7, test_type="one.sample"
    )


def test_t_test_power_by_monte_carlo():
    rng = np.random.default_rng(5)
    n, delta, reps = 15, 0.8, 40_000
    a = rng.standard_normal((reps, n))
    b = rng.standard_normal((reps, n)) + delta
    p = stats.ttest_ind(b, a, axis=1).pvalue
    mc = np.mean((p < 0.05) & (b.mean(1) > a.mean(1)))
    power = t_test_power(n, delta)
    assert abs(mc - power) < 4 * math.sqrt(power * (1 - power) / reps)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="differ"):
        proportions_sample_size(0.3, 0.3)
    with pytest.raises(ValueError, match="strictly between"):
        proportions_sample_size(0.0, 0.3)
    with pytest.raises(ValueError, match="hazard ratio"):
        schoenfeld_events(1.0)
    with pytest.raises(ValueError, match="delta"):
        means_sample_size(0.0)
