"""The vectorized predictability figures against a per-participant loop, and the block reading
(permuted blocks, two arms) against the vectorized figures of the simulated sequences."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.randomization import get_procedure
from trialdesk.randomization.assessment import monte_carlo, monte_carlo_assessment, sequence_metrics
from trialdesk.randomization.assessment.block_metrics import block_metrics

EXCEED = (0, 1, 2, 3)


def loop_metrics(arms: list[int], ratio: tuple[int, ...]) -> dict[str, float]:
    """The figures of one sequence, one participant at a time, from the definitions in
    ``assessment/metrics.py``: guess the arm furthest behind its share (min n_k / w_k), a tie of
    t arms counting 1/t when the arm taken is among them; imbalance sum_k |n_k - i w_k / W|."""
    total = sum(ratio)
    counts = [0] * len(ratio)
    hits = 0.0
    largest = 0.0
    imbalance = 0.0
    for i, arm in enumerate(arms, start=1):
        relative = [Fraction(counts[k], ratio[k]) for k in range(len(ratio))]
        behind = [k for k in range(len(ratio)) if relative[k] == min(relative)]
        if arm in behind:
            hits += 1 / len(behind)
        counts[arm] += 1
        imbalance = sum(abs(total * counts[k] - i * ratio[k]) for k in range(len(ratio))) / total
        largest = max(largest, imbalance)
    figures = {"correct": hits / len(arms), "final": imbalance, "max": largest}
    for k in EXCEED:
        figures[f"exceeds_{k}"] = float(imbalance > k + 1e-9)
    return figures


ratios = st.sampled_from([(1, 1), (2, 1), (1, 2), (3, 2), (1, 1, 1), (2, 1, 1)])


@settings(max_examples=80, deadline=None)
@given(ratios, st.integers(1, 60), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_vectorized_figures_equal_the_per_participant_loop_on_random_lists(ratio, n, sims, seed):
    rng = np.random.default_rng(seed)
    # Lists biased towards balance and fully random alike: both paths through the guesses.
    arms = rng.integers(len(ratio), size=(sims, n)).astype(np.int8)
    vectorized = sequence_metrics(arms, ratio, EXCEED)
    for row in range(sims):
        expected = loop_metrics(arms[row].tolist(), ratio)
        for key, value in expected.items():
            if key.startswith("exceeds") or (key == "correct" and len(ratio) == 2):
                # Two arms: whole and half credits, so even the floats are identical.
                assert vectorized[key][row] == value, key
            else:
                # 1/3 credits, or |e| * (2 / W) against |e| / W * 2: the last bit may differ.
                assert vectorized[key][row] == pytest.approx(value, rel=1e-12, abs=1e-15), key


block_designs = st.sampled_from(
    [((1, 1), (2,)), ((1, 1), (4,)), ((1, 1), (2, 4)), ((1, 1), (2, 4, 6, 8)), ((2, 1), (3, 6)),
     ((1, 2), (6,)), ((3, 2), (5, 10)), ((1, 1), (10,))]
)


@settings(max_examples=60, deadline=None)
@given(block_designs, st.integers(1, 150), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_block_reading_equals_the_simulated_sequences_bit_for_bit(design, n, sims, seed):
    ratio, sizes = design
    procedure = get_procedure("permuted-blocks", ratio=list(ratio), block_sizes=list(sizes))
    sequences = procedure.simulate(n, sims, np.random.default_rng(seed))
    expected = sequence_metrics(sequences, procedure.ratio, EXCEED)
    rng = np.random.default_rng(seed)
    got = block_metrics(procedure, n, sims, rng, EXCEED)
    assert set(got) == set(expected)
    for key in expected:
        assert np.array_equal(got[key], expected[key]), key
    # And it drew exactly what simulate drew: the generators are left in the same state.
    after_simulate = np.random.default_rng(seed)
    procedure.simulate(n, sims, after_simulate)
    assert rng.random() == after_simulate.random()


def test_block_loop_reference_agrees_on_simulated_block_lists():
    # The per-participant loop on lists that permuted blocks produce (returns to balance at every
    # block end): the case the block reading relies on.
    procedure = get_procedure("permuted-blocks", block_sizes=[2, 4, 6])
    sequences = procedure.simulate(45, 50, np.random.default_rng(11))
    got = block_metrics(procedure, 45, 50, np.random.default_rng(11), EXCEED)
    for row in range(50):
        for key, value in loop_metrics(sequences[row].tolist(), (1, 1)).items():
            assert got[key][row] == value, key  # 1:1: every figure is exact in binary


def test_assessment_of_blocks_is_unchanged_by_the_block_reading(monkeypatch):
    procedure = get_procedure("permuted-blocks", block_sizes=[2, 4])
    fast = monte_carlo_assessment(procedure, 50, sims=45_000, seed=9)
    monkeypatch.setattr(monte_carlo, "supports_block_metrics", lambda procedure: False)
    through_sequences = monte_carlo_assessment(procedure, 50, sims=45_000, seed=9)
    assert fast == through_sequences
