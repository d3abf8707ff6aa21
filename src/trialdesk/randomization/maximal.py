"""The maximal procedure of Berger, Ivanova & Knoll (2003).

Among all sequences of the planned length that end exactly on target and never exceed the
maximum tolerated imbalance ``bound``, each is equally likely. Sampling one uniformly only needs
the number of admissible completions of every state (a dynamic program over the counts): the next
arm is drawn with probability proportional to the completions it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .base import CountProcedure, ProcedureError, imbalance, minimum_bound, register, require


@register
class MaximalProcedure(CountProcedure):
    """Uniform over admissible sequences: ending on target, imbalance never above ``bound``."""

    name = "maximal"

    def __init__(self, ratio: Sequence[int] = (1, 1), bound: float = 3) -> None:
        super().__init__(ratio)
        least = max(1.0, minimum_bound(self.ratio))
        require(
            float(bound) >= least - 1e-9,
            f"maximal: bound must be at least {least:g} for ratio {self.ratio}, got {bound}",
        )
        self.bound = float(bound)

    @property
    def parameters(self) -> dict:
        bound = int(self.bound) if self.bound.is_integer() else self.bound
        return {**super().parameters, "bound": bound}

    def list_length(self, slots: int) -> int:
        """Round up to a whole number of ratio cycles, since the sequence must end on target."""
        cycle = sum(self.ratio)
        return -(-slots // cycle) * cycle

    def probabilities(self, counts: np.ndarray, length: int) -> np.ndarray:
        table = _completions(self.ratio, self.bound, length)
        counts = np.asarray(counts)
        eye = np.eye(self.n_arms, dtype=np.int64)
        after = counts[..., None, :] + eye  # (..., K, K): counts if arm k is taken next
        limits = np.asarray(table.shape) - 1
        inside = (after <= limits).all(axis=-1)
        index = tuple(np.minimum(after, limits)[..., j] for j in range(self.n_arms))
        ways = np.where(inside, table[index], 0.0)
        total = ways.sum(axis=-1, keepdims=True)
        # A state with no admissible completion is never reached by this procedure; the exact
        # assessment still asks about it (with probability zero), so give it the target shares.
        return np.where(total > 0, ways / np.where(total > 0, total, 1.0), self.target)


@lru_cache(maxsize=32)
def _completions(ratio: tuple[int, ...], bound: float, length: int) -> np.ndarray:
    """Return an array over final-count boxes: admissible completions from each count vector.

    Each layer (states with the same total) is rescaled by its maximum, which leaves the
    probabilities (ratios within a layer) unchanged and keeps long sequences from overflowing.
    """
    cycle = sum(ratio)
    if length % cycle:
        raise ProcedureError(f"maximal: the length {length} must be a multiple of {cycle}")
    final = tuple(length * weight // cycle for weight in ratio)
    table = np.zeros(tuple(f + 1 for f in final))
    table[final] = 1.0
    grid = np.indices(table.shape).reshape(len(ratio), -1).T  # every count vector in the box
    totals = grid.sum(axis=1)
    admissible = imbalance(grid, ratio) <= bound + 1e-9
    for total in range(length - 1, -1, -1):
        layer = grid[(totals == total) & admissible]
        if len(layer) == 0:
            continue
        values = np.zeros(len(layer))
        for arm in range(len(ratio)):
            step = layer.copy()
            step[:, arm] += 1
            fits = step[:, arm] <= final[arm]
            values[fits] += table[tuple(step[fits].T)]
        peak = values.max()
        table[tuple(layer.T)] = values / peak if peak > 0 else values
    if table[(0,) * len(ratio)] == 0:
        raise ProcedureError(
            f"maximal: no sequence of length {length} stays within bound {bound:g} "
            f"for ratio {ratio}"
        )
    return table
