"""Predictability and imbalance against published values, exact and by Monte Carlo.

Convergence strategy of Blackwell & Hodges (1957, Ann. Math. Statist. 28:449-460); a tie,
including the first participant, counts one half (as in the R package randomizeR).
"""

from __future__ import annotations

from math import comb

import pytest

from trialdesk.randomization import get_procedure
from trialdesk.randomization.assessment import (
    assess,
    exact_assessment,
    monte_carlo_assessment,
    permuted_block_correct_guesses,
)

SIMS = 20_000


def _agrees(exact_value: float, simulated, key: str, sigmas: float = 4.0) -> bool:
    value = getattr(simulated, key)
    return abs(value - exact_value) <= sigmas * simulated.standard_errors[key] + 1e-12


def test_complete_randomization_is_guessed_half_the_time():
    # Blackwell & Hodges 1957: under complete randomization no strategy beats 1/2.
    exact = assess(get_procedure("complete"), 40)
    assert exact.method == "exact"
    assert exact.correct_guess_proportion == pytest.approx(0.5, abs=1e-12)
    simulated = monte_carlo_assessment(get_procedure("complete"), 40, sims=SIMS, seed=1)
    assert _agrees(0.5, simulated, "correct_guess_proportion")


def test_complete_randomization_final_imbalance_matches_the_random_walk():
    # E|S_n| of a simple symmetric random walk, n even: n C(n, n/2) / 2^n (Feller, vol. I, III.2);
    # for n = 40 that is 5.0154.
    n = 40
    expected = n * comb(n, n // 2) / 2**n
    exact = exact_assessment(get_procedure("complete"), n)
    assert exact.expected_final_imbalance == pytest.approx(expected, rel=1e-12)
    simulated = monte_carlo_assessment(get_procedure("complete"), n, sims=SIMS, seed=2)
    assert _agrees(expected, simulated, "expected_final_imbalance")


@pytest.mark.parametrize(
    ("block_size", "expected"),
    [
        # Expected proportion of correct guesses, permuted blocks 1:1 of size 2m, convergence
        # strategy: (m + 2^(2m-1)/C(2m,m) - 1/2) / 2m (Blackwell & Hodges 1957; Rosenberger &
        # Lachin 2016, 2nd ed., section 8.3; Matts & Lachin 1988, Control Clin Trials 9:327).
        (2, 0.75),  # 3/4
        (4, 17 / 24),  # 0.70833
        (6, 41 / 60),  # 0.68333
    ],
)
def test_permuted_blocks_predictability_matches_the_closed_form(block_size, expected):
    assert permuted_block_correct_guesses(block_size) / block_size == pytest.approx(
        expected, abs=1e-12
    )
    procedure = get_procedure("permuted-blocks", block_sizes=[block_size])
    n = 8 * block_size  # whole blocks, so the per-block value is the whole-sequence value
    exact = exact_assessment(procedure, n)
    assert exact.correct_guess_proportion == pytest.approx(expected, abs=1e-12)
    assert exact.expected_final_imbalance == 0
    simulated = monte_carlo_assessment(procedure, n, sims=SIMS, seed=3)
    assert _agrees(expected, simulated, "correct_guess_proportion")


def test_random_block_sizes_are_less_predictable_than_fixed_small_blocks():
    mixed = exact_assessment(get_procedure("permuted-blocks", block_sizes=[2, 4]), 40)
    simulated = monte_carlo_assessment(
        get_procedure("permuted-blocks", block_sizes=[2, 4]), 40, sims=SIMS, seed=4
    )
    assert 17 / 24 < mixed.correct_guess_proportion < 0.75
    for key in ("correct_guess_proportion", "expected_final_imbalance", "expected_max_imbalance"):
        assert _agrees(getattr(mixed, key), simulated, key)


def test_efron_two_thirds_against_its_limits_and_simulation():
    p = 2 / 3
    procedure = get_procedure("efron", p=p)
    exact = exact_assessment(procedure, 200)
    # Efron (1971, Biometrika 58:403, section 3): |D_n| is a Markov chain whose stationary law gives
    # lim P(D_2m = 0) = (2p - 1)/p = 1/2 for p = 2/3; then the limiting proportion of correct
    # guesses is 1 - 1/(4p) = 0.625 (ties at D = 0 count one half, half the steps are odd).
    assert 1 - exact.final_imbalance_exceeds[0] == pytest.approx((2 * p - 1) / p, abs=1e-6)
    assert exact.correct_guess_proportion == pytest.approx(1 - 1 / (4 * p), abs=2e-3)
    n = 50
    exact_50 = exact_assessment(procedure, n)
    simulated = monte_carlo_assessment(procedure, n, sims=SIMS, seed=5)
    for key in ("correct_guess_proportion", "expected_final_imbalance", "expected_max_imbalance"):
        assert _agrees(getattr(exact_50, key), simulated, key)
    # Less predictable than blocks of 4 (0.708) yet far better balanced than complete randomization.
    assert 0.5 < exact_50.correct_guess_proportion < 17 / 24


def test_big_stick_against_its_limit_and_bound():
    b = 3
    procedure = get_procedure("big-stick", bound=b)
    exact = exact_assessment(procedure, 200)
    # Soares & Wu (1983, Commun Stat Theory Methods 12:2017): D is a random walk reflected at +-b;
    # its stationary law puts 1/(4b) on each barrier, where the guess is certain, so the limiting
    # proportion of correct guesses is 1/2 + 1/(4b) = 0.5833 for b = 3 (Chen 1999; Zhao et al.
    # 2011).
    assert exact.correct_guess_proportion == pytest.approx(0.5 + 1 / (4 * b), abs=2e-3)
    assert exact.expected_max_imbalance <= b
    assert exact.final_imbalance_exceeds[b] == 0
    simulated = monte_carlo_assessment(procedure, 50, sims=SIMS, seed=6)
    exact_50 = exact_assessment(procedure, 50)
    for key in ("correct_guess_proportion", "expected_final_imbalance", "expected_max_imbalance"):
        assert _agrees(getattr(exact_50, key), simulated, key)


def test_maximal_procedure_exact_agrees_with_simulation_and_beats_blocks():
    procedure = get_procedure("maximal", bound=3)
    exact = exact_assessment(procedure, 48)
    simulated = monte_carlo_assessment(procedure, 48, sims=SIMS, seed=7)
    for key in ("correct_guess_proportion", "expected_max_imbalance"):
        assert _agrees(getattr(exact, key), simulated, key)
    # Berger, Ivanova & Knoll (2003): with the same maximum tolerated imbalance (3, as blocks of
    # 6), the maximal procedure is less predictable than permuted blocks.
    blocks = exact_assessment(get_procedure("permuted-blocks", block_sizes=[6]), 48)
    assert exact.correct_guess_proportion < blocks.correct_guess_proportion
    assert exact.expected_final_imbalance == 0


def test_minimization_is_assessed_by_monte_carlo_and_more_predictable_with_larger_p():
    covariates = [[1 / 3] * 3, [0.5, 0.5]]
    low = assess(
        get_procedure("minimization", p=0.6), 40, sims=SIMS, seed=8, level_probabilities=covariates
    )
    high = assess(
        get_procedure("minimization", p=0.95), 40, sims=SIMS, seed=8, level_probabilities=covariates
    )
    assert low.method == high.method == "monte_carlo"
    assert set(low.standard_errors) >= {"correct_guess_proportion", "expected_final_imbalance"}
    assert (
        high.correct_guess_proportion
        > low.correct_guess_proportion + 5 * high.standard_errors["correct_guess_proportion"]
    )
    assert high.expected_final_imbalance < low.expected_final_imbalance


def test_exact_requires_two_arms():
    with pytest.raises(ValueError, match="Monte Carlo"):
        exact_assessment(get_procedure("complete", ratio=(1, 1, 1)), 10)
    three = assess(get_procedure("complete", ratio=(1, 1, 1)), 30, sims=2_000, seed=9)
    # Three arms, ties shared among the tied arms: a convergence guess is right a third of the time.
    assert three.correct_guess_proportion == pytest.approx(
        1 / 3, abs=4 * three.standard_errors["correct_guess_proportion"]
    )


def test_json_has_the_documented_keys():
    exact = assess(get_procedure("complete"), 10).to_json()
    assert {
        "correct_guess_proportion",
        "expected_final_imbalance",
        "expected_max_imbalance",
        "method",
    } <= set(exact)
    assert "standard_errors" not in exact
    simulated = assess(
        get_procedure("complete"), 10, method="monte_carlo", sims=100, seed=1
    ).to_json()
    assert simulated["method"] == "monte_carlo"
    assert "correct_guess_proportion" in simulated["standard_errors"]
