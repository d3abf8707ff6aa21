"""The Bayesian safety stopping rule (trialdesk.safety.boundary).

Three independent checks of the table:
- scipy.stats.beta's survival function, evaluated here for every (x, n);
- exact rational arithmetic for a Beta(1, 1) prior, from the identity (integer Beta parameters)
  ``P(p > t | Beta(1 + x, 1 + n - x)) = P(Binomial(n + 1, t) <= x)``
  (Abramowitz and Stegun 26.5.24: ``I_t(a, n - a + 1) = sum_{j >= a} C(n, j) t^j (1 - t)^(n - j)``);
- a published boundary: the elimination row of the BOIN design's table.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from math import comb

import pytest
from scipy import stats

from trialdesk.safety.boundary import (
    BoundaryRow,
    boundary_table,
    min_events,
    posterior_probability_above,
    trips,
)
from trialdesk.stats.design.bayes import posterior_boundary_table


def scipy_table(a: float, b: float, threshold: float, cutoff: float, max_n: int):
    """The table by brute force over every event count, with scipy's beta distribution."""
    out = []
    for n in range(1, max_n + 1):
        hits = [x for x in range(n + 1) if stats.beta(a + x, b + n - x).sf(threshold) > cutoff]
        out.append(min(hits) if hits else None)
    return out


@pytest.mark.parametrize(
    ("a", "b", "threshold", "cutoff", "max_n"),
    [
        (1.0, 1.0, 0.30, 0.90, 40),  # issue 15's example rule
        (0.5, 0.5, 0.20, 0.80, 30),  # Jeffreys prior
        (2.0, 8.0, 0.15, 0.95, 50),  # informative prior centred on 0.2
        (0.3, 1.7, 0.25, 0.975, 25),
        (5.0, 1.0, 0.30, 0.99, 12),  # pessimistic prior: trips at 0 events for small n
    ],
)
def test_table_matches_scipy_beta(a, b, threshold, cutoff, max_n):
    rows = boundary_table(a, b, threshold, cutoff, max_n)
    assert [r.n for r in rows] == list(range(1, max_n + 1))
    assert [r.min_events for r in rows] == scipy_table(a, b, threshold, cutoff, max_n)
    for r in rows:
        if r.min_events is None:
            assert r.probability is None
            continue
        expected = stats.beta(a + r.min_events, b + r.n - r.min_events).sf(threshold)
        assert r.probability == pytest.approx(expected, rel=1e-10, abs=1e-13)
        assert r.probability > cutoff
        if r.min_events > 0:  # one event fewer does not trip
            below = stats.beta(a + r.min_events - 1, b + r.n - r.min_events + 1).sf(threshold)
            assert below <= cutoff


def exact_uniform_prior_above(x: int, n: int, t: Fraction) -> Fraction:
    """P(p > t | x of n, Beta(1, 1) prior) exactly: P(Binomial(n + 1, t) <= x)."""
    return sum((comb(n + 1, j) * t**j * (1 - t) ** (n + 1 - j) for j in range(x + 1)), Fraction(0))


# Beta(1, 1), threshold 0.30, cutoff 0.90 (the example rule), n = 1..20: the smallest
# event count that trips. Derived by hand for the first rows (exact values):
#   n=1, x=1: P(Bin(2, .3) <= 1) = 1 - .09 = .91 > .9 -> 1 (one event in the first participant)
#   n=2, x=1: P(Bin(3, .3) <= 1) = .343 + .441 = .784;  x=2: 1 - .027 = .973 -> 2
#   n=3, x=2: P(Bin(4, .3) <= 2) = 1 - .0756 - .0081 = .9163 > .9 -> 2
UNIFORM_30_90 = [1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 8, 9, 9]


def test_uniform_prior_table_exact_rational():
    t, cutoff = Fraction(3, 10), Fraction(9, 10)
    exact = []
    for n in range(1, 21):
        exact.append(min(x for x in range(n + 1) if exact_uniform_prior_above(x, n, t) > cutoff))
    assert exact == UNIFORM_30_90
    rows = boundary_table(1, 1, 0.30, 0.90, 20)
    assert [r.min_events for r in rows] == UNIFORM_30_90
    assert rows[0].probability == pytest.approx(0.91, abs=1e-12)
    assert rows[2].probability == pytest.approx(0.9163, abs=1e-12)
    assert posterior_probability_above(1, 2, 1, 1, 0.30) == pytest.approx(0.784, abs=1e-12)
    for n in range(1, 21):
        for x in range(n + 1):
            assert posterior_probability_above(x, n, 1, 1, 0.3) == pytest.approx(
                float(exact_uniform_prior_above(x, n, t)), abs=1e-12
            )


def test_published_boin_elimination_boundary():
    # BOIN design, dose elimination: eliminate if P(p > target | data) > 0.95, Beta(1, 1) prior
    # (Liu and Yuan 2015, J R Stat Soc C 64:507-523; Yuan, Hess, Hilsenbeck and Gilbert 2016,
    # Clin Cancer Res 22:4291-4301, boundary table for target DLT rate 0.30, cohorts of 3;
    # the BOIN R package's get.boundary(target = 0.3, ncohort = 10, cohortsize = 3), cutoff.eli
    # 0.95): "Eliminate if # of DLT >=" 3, 4, 5, 7 at 3, 6, 9, 12 patients treated.
    # These four numbers were taken from that table as recalled, and are confirmed here
    # independently by the exact rational computation.
    published = {3: 3, 6: 4, 9: 5, 12: 7}
    rows = {r.n: r.min_events for r in boundary_table(1, 1, 0.30, 0.95, 12)}
    assert {n: rows[n] for n in published} == published
    t, cutoff = Fraction(3, 10), Fraction(95, 100)
    for n, x in published.items():
        assert exact_uniform_prior_above(x, n, t) > cutoff
        assert exact_uniform_prior_above(x - 1, n, t) <= cutoff


def test_no_count_trips_when_the_prior_outweighs_the_data():
    # an optimistic prior Beta(1, 30) (mean 0.03): even 1 of 1 leaves P(p > 0.3) tiny
    rows = boundary_table(1, 30, 0.30, 0.90, 5)
    assert rows[0] == BoundaryRow(n=1, min_events=None, probability=None)
    assert rows[0].to_dict() == {"n": 1, "min_events": None, "probability": None}
    assert not trips(1, 1, 1, 30, 0.30, 0.90)


def test_boundary_is_a_monitoring_rule():
    # nondecreasing in n, by at most one event per added participant, so the table reads as
    # "stop if at least x of the first n" and can be checked after every participant
    rows = boundary_table(1, 1, 0.30, 0.90, 200)
    values = [r.min_events for r in rows]
    assert all(v is not None for v in values)
    assert all(0 <= later - earlier <= 1 for earlier, later in pairwise(values))
    # the rule roughly tracks the threshold: at n = 200 it needs a rate a little above 0.30
    assert 0.30 < values[-1] / 200 < 0.36


def test_trips_agrees_with_the_table_and_is_strict():
    rows = boundary_table(1, 1, 0.30, 0.90, 40)
    for r in rows:
        for x in range(r.n + 1):
            assert trips(x, r.n, 1, 1, 0.30, 0.90) == (x >= r.min_events)
    # strictly greater: a cutoff equal to the probability does not trip
    p = posterior_probability_above(2, 3, 1, 1, 0.30)
    assert trips(2, 3, 1, 1, 0.30, p - 1e-9)
    assert not trips(2, 3, 1, 1, 0.30, p)


def test_reuses_the_design_function():
    # one implementation: the design module's table and this one agree
    ours = [(r.n, r.min_events) for r in boundary_table(0.5, 0.5, 0.25, 0.9, 30)]
    assert ours == posterior_boundary_table(range(1, 31), 0.25, 0.9, a=0.5, b=0.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: boundary_table(0, 1, 0.3, 0.9, 10), "prior_a"),
        (lambda: boundary_table(1, -1, 0.3, 0.9, 10), "prior_b"),
        (lambda: boundary_table(1, float("nan"), 0.3, 0.9, 10), "prior_b"),
        (lambda: boundary_table(1, 1, 1.0, 0.9, 10), "threshold"),
        (lambda: boundary_table(1, 1, 0.3, 0.0, 10), "cutoff"),
        (lambda: boundary_table(1, 1, 0.3, 0.9, 0), "max_n"),
        (lambda: boundary_table(1, 1, 0.3, 0.9, 2.5), "max_n"),
        (lambda: boundary_table(1, 1, 0.3, 0.9, 10**6), "max_n"),
        (lambda: posterior_probability_above(4, 3, 1, 1, 0.3), "x"),
        (lambda: posterior_probability_above(-1, 3, 1, 1, 0.3), "x"),
        (lambda: posterior_probability_above(1, True, 1, 1, 0.3), "n"),
        (lambda: trips(1, 3, 1, 1, 0.3, 1.5), "cutoff"),
    ],
)
def test_inputs_refused_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=f"^{message}:"):
        call()


@pytest.mark.parametrize("n", [1, 7, 20, 333, 5000])
def test_one_row_equals_the_tables_row_and_scipy(n):
    """``min_events`` gives the table's row n alone (the live rule asks for it at n = 5,000
    treated in a large trial, where the whole table would cost seconds)."""
    a, b, threshold, cutoff = 1.0, 1.0, 0.30, 0.90
    x = min_events(n, a, b, threshold, cutoff)
    if n <= 333:
        assert x == boundary_table(a, b, threshold, cutoff, n)[-1].min_events
    # independent: the tripping count is where scipy's Beta tail crosses the cutoff
    assert stats.beta(a + x, b + n - x).sf(threshold) > cutoff
    assert stats.beta(a + x - 1, b + n - x + 1).sf(threshold) <= cutoff
    with pytest.raises(ValueError, match="n"):
        min_events(0, a, b, threshold, cutoff)
