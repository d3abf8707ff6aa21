"""Exact assessment by dynamic programming over the imbalance, for two arms.

For a procedure whose next-arm probabilities depend only on the counts (complete randomization,
Efron's coin, the big stick, the maximal procedure), the state after i allocations is the count of
arm A together with the largest imbalance seen so far; the distribution over these states is
carried forward one allocation at a time. Permuted blocks add the block's size and how much of it
is used. The figures are exact up to floating-point rounding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from math import comb

import numpy as np

from ..base import CountProcedure, Procedure, lagging_mask
from ..blocks import PermutedBlocks
from .metrics import Assessment


def supports_exact(procedure: Procedure) -> bool:
    """Return True if :func:`exact_assessment` can handle ``procedure``."""
    return procedure.n_arms == 2 and isinstance(procedure, CountProcedure | PermutedBlocks)


def permuted_block_correct_guesses(block_size: int) -> float:
    """Return the expected number of correct convergence guesses in one 1:1 block of size 2m.

    ``m + (2^(2m) / C(2m, m) - 1) / 2`` (Blackwell & Hodges 1957; Rosenberger & Lachin 2016,
    section 8.3): m guesses are right on average however one guesses, plus half the expected
    number of returns to balance inside the block that the convergence strategy exploits.
    """
    if block_size < 2 or block_size % 2:
        raise ValueError("the closed form is for 1:1 blocks of an even size")
    m = block_size // 2
    return m + (4**m / comb(2 * m, m) - 1) / 2


def exact_assessment(
    procedure: Procedure, n: int, *, exceed: Sequence[int] = (0, 1, 2, 3, 4)
) -> Assessment:
    """Return the exact figures for two arms (any ratio) and ``n`` participants."""
    if not supports_exact(procedure):
        raise ValueError(
            f"no exact computation for {procedure.name} with {procedure.n_arms} arms; "
            "use Monte Carlo"
        )
    if isinstance(procedure, PermutedBlocks):
        correct, final, maximum = _blocks(procedure, n)
    else:
        assert isinstance(procedure, CountProcedure)  # noqa: S101 (narrowing for the type checker)
        correct, final, maximum = _counts(procedure, n)
    return Assessment(
        procedure=procedure.name,
        parameters=procedure.parameters,
        n=n,
        method="exact",
        correct_guess_proportion=correct / n,
        expected_final_imbalance=sum(p * value for value, p in final.items()),
        expected_max_imbalance=sum(p * value for value, p in maximum.items()),
        final_imbalance_exceeds={
            k: sum(p for value, p in final.items() if value > k + 1e-9) for k in exceed
        },
    )


def _counts(
    procedure: CountProcedure, n: int
) -> tuple[float, dict[float, float], dict[float, float]]:
    w_a, w_b = procedure.ratio
    total_weight = w_a + w_b
    length = procedure.list_length(n)
    cap = n * max(w_a, w_b)  # the largest possible |W n_A - i w_A|
    grid = np.arange(cap + 1)
    # P[a, m]: probability of a allocations to A so far with running max |W n_A - i w_A| = m.
    state = np.zeros((n + 1, cap + 1))
    state[0, 0] = 1.0
    correct = 0.0
    for i in range(n):
        a = np.arange(i + 1)
        counts = np.column_stack([a, i - a])
        probabilities = procedure.probabilities(counts, length)
        lagging = lagging_mask(counts, procedure.ratio)
        credit = (probabilities * lagging).sum(axis=1) / lagging.sum(axis=1)
        layer = state[: i + 1]
        correct += float((layer.sum(axis=1) * credit).sum())
        new = np.zeros_like(state)
        for rows, arm in ((a + 1, 0), (a, 1)):
            deviation = np.abs(total_weight * rows - (i + 1) * w_a)
            contribution = layer * probabilities[:, arm : arm + 1]
            below = grid[None, :] < deviation[:, None]
            collapsed = np.where(below, contribution, 0.0).sum(axis=1)
            contribution = np.where(below, 0.0, contribution)
            contribution[np.arange(len(rows)), deviation] += collapsed
            new[rows] += contribution
        state = new
    scale = 2 / total_weight  # imbalance = |e_A| + |e_B| over W, and e_B = -e_A for two arms
    final: dict[float, float] = defaultdict(float)
    for a, mass in enumerate(state.sum(axis=1)):
        final[abs(total_weight * a - n * w_a) * scale] += float(mass)
    maximum = {m * scale: float(mass) for m, mass in enumerate(state.sum(axis=0)) if mass}
    return correct, dict(final), maximum


def _blocks(
    procedure: PermutedBlocks, n: int
) -> tuple[float, dict[float, float], dict[float, float]]:
    w_a, w_b = procedure.ratio
    total_weight = w_a + w_b
    scale = 2 / total_weight
    sizes = procedure.block_sizes
    # State: (block size, A taken in block, B taken in block, running max |e_A|). Blocks start on
    # target, so the overall imbalance and the lagging arm follow from the counts in the block.
    states: dict[tuple[int, int, int, int], float] = {(s, 0, 0, 0): 1 / len(sizes) for s in sizes}
    correct = 0.0
    for _ in range(n):
        new: dict[tuple[int, int, int, int], float] = defaultdict(float)
        for (size, a, b, peak), mass in states.items():
            left_a = size * w_a // total_weight - a
            left = size - a - b
            p_a = left_a / left
            lag = lagging_mask(np.array([a, b]), procedure.ratio)
            credit = (p_a * lag[0] + (1 - p_a) * lag[1]) / lag.sum()
            correct += mass * float(credit)
            for step_a, p in ((1, p_a), (0, 1 - p_a)):
                if p <= 0:
                    continue
                a2, b2 = a + step_a, b + 1 - step_a
                new_peak = max(peak, abs(total_weight * a2 - (a2 + b2) * w_a))
                if a2 + b2 == size:  # block complete: the next one's size is drawn
                    for s in sizes:
                        new[(s, 0, 0, new_peak)] += mass * p / len(sizes)
                else:
                    new[(size, a2, b2, new_peak)] += mass * p
        states = new
    final: dict[float, float] = defaultdict(float)
    maximum: dict[float, float] = defaultdict(float)
    for (_, a, b, peak), mass in states.items():
        final[abs(total_weight * a - (a + b) * w_a) * scale] += mass
        maximum[peak * scale] += mass
    return correct, dict(final), dict(maximum)
