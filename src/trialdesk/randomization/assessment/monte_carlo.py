"""Vectorized Monte Carlo assessment: whole batches of sequences at once, no loop per simulation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from ..base import Procedure, lagging_mask
from .block_metrics import block_metrics, supports_block_metrics
from .metrics import Assessment

CHUNK = 20_000


def sequence_metrics(
    arms: np.ndarray, ratio: Sequence[int], exceed: Sequence[int] = ()
) -> dict[str, np.ndarray]:
    """Return per-sequence figures for a (sims, n) array of arm indices.

    Keys: ``correct`` (proportion of correct convergence guesses), ``final`` (final imbalance),
    ``max`` (maximum imbalance over the sequence) and ``exceeds_<k>`` (0/1: final imbalance > k).
    """
    if len(ratio) == 2:
        return _two_arm_metrics(arms, ratio, exceed)
    return _general_metrics(arms, ratio, exceed)


def _general_metrics(
    arms: np.ndarray, ratio: Sequence[int], exceed: Sequence[int]
) -> dict[str, np.ndarray]:
    sims, n = arms.shape
    n_arms = len(ratio)
    weights = np.asarray(ratio, dtype=np.int64)
    onehot = arms[..., None] == np.arange(n_arms)  # (sims, n, K)
    after = np.cumsum(onehot, axis=1, dtype=np.int64)  # counts after each allocation
    before = np.concatenate([np.zeros((sims, 1, n_arms), dtype=np.int64), after[:, :-1]], axis=1)
    lagging = lagging_mask(before, ratio)
    hit = np.take_along_axis(lagging, arms[..., None].astype(np.int64), axis=-1)[..., 0]
    credit = hit / lagging.sum(axis=-1)  # a tie of t arms counts 1/t when the arm is among them
    totals = np.arange(1, n + 1)[None, :, None]
    imbalance = np.abs(weights.sum() * after - totals * weights).sum(axis=-1) / weights.sum()
    metrics = {
        "correct": credit.mean(axis=1),
        "final": imbalance[:, -1],
        "max": imbalance.max(axis=1),
    }
    for k in exceed:
        metrics[f"exceeds_{k}"] = (imbalance[:, -1] > k + 1e-9).astype(float)
    return metrics


def _two_arm_metrics(
    arms: np.ndarray, ratio: Sequence[int], exceed: Sequence[int]
) -> dict[str, np.ndarray]:
    """The same figures for two arms, in integers: ``e = W n_A - i w_A`` is negative exactly when
    arm A is behind its share, zero on target, and the imbalance is ``2 |e| / W``."""
    n = arms.shape[1]
    w_a, w_b = ratio
    total = w_a + w_b
    # Small integers keep the arrays small, which is most of the cost here.
    dtype = np.int16 if n * total < 2**15 else np.int64
    is_a = arms == 0
    e = np.cumsum(is_a, axis=1, dtype=dtype)
    e *= total
    e -= np.arange(1, n + 1, dtype=dtype) * w_a
    before = np.empty_like(e)
    before[:, 0] = 0
    before[:, 1:] = e[:, :-1]
    hit = (before < 0) == is_a  # the arm taken was the one behind (meaningless on a tie)
    tie = before == 0
    # Twice the credit, in integers: 2 per hit off a tie, 1 per tie.
    doubled = 2 * hit.sum(axis=1) - 2 * (hit & tie).sum(axis=1) + tie.sum(axis=1)
    magnitude = np.abs(e)
    final = magnitude[:, -1] * (2 / total)
    metrics = {
        "correct": doubled / (2 * n),
        "final": final,
        "max": magnitude.max(axis=1) * (2 / total),
    }
    for k in exceed:
        metrics[f"exceeds_{k}"] = (final > k + 1e-9).astype(float)
    return metrics


def monte_carlo_assessment(
    procedure: Procedure,
    n: int,
    *,
    sims: int = 100_000,
    exceed: Sequence[int] = (0, 1, 2, 3, 4),
    seed: int | None = None,
    progress: bool = False,
    **simulate_options: Any,
) -> Assessment:
    """Return the Monte Carlo assessment from ``sims`` simulated sequences of length ``n``.

    Standard errors are those of the means over the simulated sequences. Permuted blocks with
    two arms are read off their blocks (:mod:`.block_metrics`): the same figures from the same
    draws, a few times faster.
    """
    if sims < 2:
        raise ValueError(f"sims must be at least 2, got {sims}")
    simulate = getattr(procedure, "simulate", None)
    if simulate is None:
        raise ValueError(f"{procedure.name} cannot be simulated")
    length = procedure.list_length(n) if hasattr(procedure, "list_length") else n
    rng = np.random.default_rng(seed)
    sums: dict[str, float] = {}
    squares: dict[str, float] = {}
    chunks = [min(CHUNK, sims - start) for start in range(0, sims, CHUNK)]
    with tqdm(total=sims, disable=not progress, unit="seq", desc=procedure.name) as bar:
        by_blocks = supports_block_metrics(procedure) and length == n and not simulate_options
        for size in chunks:
            if by_blocks:
                figures = block_metrics(procedure, n, size, rng, exceed)  # type: ignore[arg-type]
            else:
                arms = simulate(length, size, rng, **simulate_options)[:, :n]
                figures = sequence_metrics(arms, procedure.ratio, exceed)
            for key, values in figures.items():
                sums[key] = sums.get(key, 0.0) + float(values.sum())
                squares[key] = squares.get(key, 0.0) + float(np.square(values).sum())
            bar.update(size)
    means = {key: sums[key] / sims for key in sums}
    errors = {
        key: float(
            np.sqrt(max(squares[key] / sims - means[key] ** 2, 0.0) * sims / (sims - 1) / sims)
        )
        for key in sums
    }
    return Assessment(
        procedure=procedure.name,
        parameters=procedure.parameters,
        n=n,
        method="monte_carlo",
        correct_guess_proportion=means["correct"],
        expected_final_imbalance=means["final"],
        expected_max_imbalance=means["max"],
        final_imbalance_exceeds={k: means[f"exceeds_{k}"] for k in exceed},
        sims=sims,
        standard_errors={
            "correct_guess_proportion": errors["correct"],
            "expected_final_imbalance": errors["final"],
            "expected_max_imbalance": errors["max"],
            **{f"final_imbalance_exceeds_{k}": errors[f"exceeds_{k}"] for k in exceed},
        },
    )
