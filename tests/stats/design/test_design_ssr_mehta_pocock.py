"""Mehta and Pocock (2011), Stat Med 30:3267-3284, the schizophrenia example: the promising-zone
design rebuilt from the paper's stated inputs and checked against the paper's own formulas,
written out here independently of :mod:`trialdesk.stats.design.ssr`.

Inputs as the paper states them: effect delta = 2 on the negative symptoms score, sigma = 7.5,
one-sided alpha 0.025, 80% power -> 442 patients (221 per arm); the interim when 208 have
completed follow-up; the total may grow to 884 (twice the plan); zones by the conditional power
under the observed effect at the planned size: unfavourable below CP_min, promising from CP_min
to 0.8 (the size grows to reach CP 0.8, capped), favourable above.

The paper's formulas used (totals over both arms; the paper writes them per arm, the ratios are
the same): CP(z1, n2) = 1 - Phi((z_a sqrt(n2) - z1 sqrt(n1)) / sqrt(n2 - n1) - z1 sqrt(n2 - n1)
/ sqrt(n1)); the size reaching CP 0.8, n2' = n1 + (n1 / z1^2) ((z_a sqrt(n2) - z1 sqrt(n1)) /
sqrt(n2 - n1) + z_0.8)^2 (section 5.1); the critical value of the conventional final statistic
that matches the weighted (CHW) test, b(z1, n2*) = n2*^(-1/2) (sqrt((n2* - n1) / (n2 - n1))
(z_a sqrt(n2) - z1 sqrt(n1)) + z1 sqrt(n1)) (section 5.2), and CP_min, the smallest CP from which
b <= z_a (the conventional test may be used). The paper's tabulated power and expected sample
size could not be retrieved (the stored corpora hold no copy of the paper or of a table from it),
so the operating characteristics are checked against an independent quadrature built on these
formulas, not against printed figures. (Searched again for issue 23: pages, docs and code corpora
for the paper, its schizophrenia example, rpact/gsDesign vignettes and Jennison and Turnbull's
reanalysis; only the paper's abstract and implementations without printed results were found.)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from trialdesk.stats.design.combination import InverseNormalDesign, inverse_normal_design
from trialdesk.stats.design.conditional_power import conditional_power, theta_means
from trialdesk.stats.design.ssr import (
    SampleSizeRule,
    cp_min_conventional,
    next_size,
    oc_integration,
)

ALPHA, DELTA, SIGMA = 0.025, 2.0, 7.5
N1, N2, NMAX = 208, 442, 884
ZA, Z80 = stats.norm.isf(ALPHA), stats.norm.ppf(0.8)


def planned_total() -> int:
    """Two arms of ceil(2 sigma^2 (z_a + z_b)^2 / delta^2) patients."""
    per_arm = 2 * SIGMA**2 * (ZA + stats.norm.ppf(0.8)) ** 2 / DELTA**2
    return 2 * math.ceil(per_arm)


def cp_mp(z1):
    """CP under the observed effect at the planned size (z1: a number or an array)."""
    return stats.norm.sf((ZA * math.sqrt(N2) - z1 * math.sqrt(N1)) / math.sqrt(N2 - N1)
                         - z1 * math.sqrt(N2 - N1) / math.sqrt(N1))


def n2_star_mp(z1, cp_low: float):
    """The total after the interim: grown to reach CP 0.8 (capped) in the promising zone."""
    z1 = np.asarray(z1, dtype=float)
    grown = N1 + N1 / z1**2 * ((ZA * math.sqrt(N2) - z1 * math.sqrt(N1))
                               / math.sqrt(N2 - N1) + Z80) ** 2
    cp = cp_mp(z1)
    return np.where((cp >= cp_low) & (cp < 0.8), np.clip(grown, N2, NMAX), float(N2))


def b_mp(z1, n2_star):
    return (np.sqrt((n2_star - N1) / (N2 - N1)) * (ZA * math.sqrt(N2) - z1 * math.sqrt(N1))
            + z1 * math.sqrt(N1)) / np.sqrt(n2_star)


def design() -> InverseNormalDesign:
    """Two stages at 208/442, no interim stop: the weighted final test is CHW's."""
    g = inverse_normal_design(2, information_rates=[N1 / N2, 1.0]).boundaries
    return InverseNormalDesign(replace(g, upper=np.array([40.0, ZA]),
                                       lower=np.array([-np.inf, -np.inf])))


def z1_at_cp(cp: float) -> float:
    return float(optimize.brentq(lambda z: float(cp_mp(z)) - cp, -5, 10, xtol=1e-13))


def test_the_planned_size_is_the_papers_442():
    assert planned_total() == N2
    theta = theta_means(DELTA, SIGMA)
    assert 0.80 <= stats.norm.cdf(theta * math.sqrt(N2) - ZA) < 0.802  # 80% power


def test_conditional_power_and_the_grown_size_follow_the_papers_formulas():
    d, cp_low = design(), cp_min_conventional(ALPHA, N1, N2, NMAX)
    rule = SampleSizeRule((N1, N2 - N1), n_max=NMAX - N1, promising=(cp_low, 0.8), target=0.8)
    for z1 in np.linspace(0.2, 3.0, 57):
        theta_hat = z1 / math.sqrt(N1)
        assert conditional_power(d, [z1], [N2 - N1], theta_hat) == pytest.approx(
            float(cp_mp(z1)), abs=1e-12)
        assert N1 + next_size(d, rule, [z1]) == pytest.approx(float(n2_star_mp(z1, cp_low)),
                                                              rel=1e-9)
    # the three zones on the interim z scale, and the cap binding at the promising zone's start
    z_low, z_high = z1_at_cp(cp_low), z1_at_cp(0.8)
    assert N1 + next_size(d, rule, [z_low - 1e-6]) == N2  # unfavourable: as planned
    assert N1 + next_size(d, rule, [z_low + 1e-6]) == NMAX  # promising, target out of reach
    assert N2 < N1 + next_size(d, rule, [z_high - 1e-3]) < NMAX  # reaches CP 0.8 below the cap
    assert N1 + next_size(d, rule, [z_high + 1e-6]) == N2  # favourable: as planned


def test_cp_min_is_where_the_conventional_test_stops_being_liberal():
    # The paper's definition, by a scan of the interim z (as the SAS and R implementations of
    # the paper do): the smallest CP with b(z1, n2*(z1)) <= z_a when the size grows to n2*.
    cp_min = cp_min_conventional(ALPHA, N1, N2, NMAX)
    grid = np.arange(0.01, 3.0, 1e-5)
    cp = cp_mp(grid)
    ok = (b_mp(grid, n2_star_mp(grid, 0.0)) <= ZA + 1e-12) & (cp < 0.8)
    assert cp[ok].min() == pytest.approx(cp_min, abs=1e-5)
    # over the whole promising zone [CP_min, 0.8) the conventional test is no more liberal
    z_low, z_high = z1_at_cp(cp_min), z1_at_cp(0.8)
    zone = np.linspace(z_low + 1e-9, z_high - 1e-9, 2000)
    assert np.all(b_mp(zone, n2_star_mp(zone, cp_min)) <= ZA + 1e-9)
    assert 0.35 < cp_min < 0.37  # 0.3601 here (not a figure read from the paper)


def _oc_mp(theta: float, cp_low: float) -> tuple[float, float]:
    """Power and expected total of the weighted test with the promising-zone rule: a quadrature
    over the interim z with the paper's formulas, breaking at the zones' and the cap's edges."""
    c2 = lambda z1: (ZA * math.sqrt(N2) - z1 * math.sqrt(N1)) / math.sqrt(N2 - N1)  # noqa: E731
    dens = lambda z1: stats.norm.pdf(z1 - theta * math.sqrt(N1))  # noqa: E731
    z_low, z_high = z1_at_cp(cp_low), z1_at_cp(0.8)
    cap = optimize.brentq(
        lambda z: N1 + N1 / z**2 * (c2(z) + Z80) ** 2 - NMAX, z_low, z_high, xtol=1e-13)
    edges = [-8 + theta * math.sqrt(N1), z_low, cap, z_high, 8 + theta * math.sqrt(N1)]

    def reject(z1: float) -> float:
        m = float(n2_star_mp(z1, cp_low)) - N1
        return dens(z1) * stats.norm.sf(c2(z1) - theta * math.sqrt(m))

    power = sum(integrate.quad(reject, a, b, epsabs=1e-13, epsrel=1e-11)[0]
                for a, b in itertools.pairwise(edges))
    size = sum(integrate.quad(lambda z: dens(z) * float(n2_star_mp(z, cp_low)), a, b,
                              epsabs=1e-11, epsrel=1e-11)[0]
               for a, b in itertools.pairwise(edges))
    return power, size


@pytest.mark.parametrize("delta", [0.0, 1.6, 1.8, 2.0])
def test_power_and_expected_size_equal_the_papers_formulas(delta):
    d, cp_low = design(), cp_min_conventional(ALPHA, N1, N2, NMAX)
    rule = SampleSizeRule((N1, N2 - N1), n_max=NMAX - N1, promising=(cp_low, 0.8), target=0.8)
    theta = theta_means(delta, SIGMA)
    oc = oc_integration(d, rule, theta)
    power, size = _oc_mp(theta, cp_low)
    assert oc.power == pytest.approx(power, abs=1e-7)
    assert oc.expected_n == pytest.approx(size, abs=1e-4)
    fixed = stats.norm.sf(ZA - theta * math.sqrt(N2))
    doubled = stats.norm.sf(ZA - theta * math.sqrt(NMAX))
    if delta == 0:
        assert oc.power == pytest.approx(ALPHA, abs=1e-9)  # the weighted test keeps alpha
    else:
        # the promising zone buys power over the plan, never that of doubling everyone
        assert fixed < oc.power < doubled
    assert N2 < oc.expected_n < NMAX
