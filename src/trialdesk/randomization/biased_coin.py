"""Efron's biased coin and the big stick design.

Both are defined in the literature for two arms 1:1; for other ratios they act on the deviation
from the target counts ``n_k - n w_k / W`` (see :func:`.base.imbalance`), which reduces to the
classical definitions for two arms 1:1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import (
    CountProcedure,
    imbalance,
    lagging_mask,
    minimum_bound,
    register,
    require,
    scaled_deviation,
    shares,
)


@register
class EfronBiasedCoin(CountProcedure):
    """Efron (1971): when unbalanced, the arm(s) furthest behind get probability ``p``.

    When the counts are exactly on target the draw follows the ratio. With more than one lagging
    arm, ``p`` is shared among them by weight, and ``1 - p`` among the others by weight. With an
    unequal ratio the pull back to target is weaker for the larger arm (``p`` against a target
    share above 1/2), so its excursions below target last longer.
    """

    name = "efron"

    def __init__(self, ratio: Sequence[int] = (1, 1), p: float = 2 / 3) -> None:
        super().__init__(ratio)
        p = float(p)
        require(
            0.5 <= p < 1, f"efron: p must be at least 0.5 and below 1 (a random element), got {p}"
        )
        self.p = p

    @property
    def parameters(self) -> dict:
        return {**super().parameters, "p": self.p}

    def probabilities(self, counts: np.ndarray, length: int) -> np.ndarray:
        counts = np.asarray(counts)
        balanced = (scaled_deviation(counts, self.ratio) == 0).all(axis=-1, keepdims=True)
        lagging = lagging_mask(counts, self.ratio)
        biased = self.p * shares(lagging, self.weights) + (1 - self.p) * shares(
            ~lagging, self.weights
        )
        return np.where(balanced, self.target, biased)


@register
class BigStick(CountProcedure):
    """Soares & Wu (1983): complete randomization until the imbalance reaches ``bound``.

    An arm whose allocation would push the imbalance past ``bound`` is excluded; the remaining
    arms keep their ratio. For two arms 1:1 this forces the lagging arm when ``|D| = bound``.
    """

    name = "big-stick"

    def __init__(self, ratio: Sequence[int] = (1, 1), bound: float = 3) -> None:
        super().__init__(ratio)
        least = max(1.0, minimum_bound(self.ratio))
        require(
            float(bound) >= least - 1e-9,
            f"big-stick: bound must be at least {least:g} for ratio {self.ratio}, got {bound}",
        )
        self.bound = float(bound)

    @property
    def parameters(self) -> dict:
        bound = int(self.bound) if self.bound.is_integer() else self.bound
        return {**super().parameters, "bound": bound}

    def probabilities(self, counts: np.ndarray, length: int) -> np.ndarray:
        counts = np.asarray(counts)
        eye = np.eye(self.n_arms, dtype=counts.dtype)
        after = imbalance(counts[..., None, :] + eye, self.ratio)  # (..., K): imbalance if arm k
        allowed = after <= self.bound + 1e-9
        # The constructor refuses bounds below the least attainable one, so some arm keeps the
        # bound; the fallback to the lagging arms is a guard, not a rule.
        allowed = np.where(
            allowed.any(axis=-1, keepdims=True), allowed, lagging_mask(counts, self.ratio)
        )
        return shares(allowed, self.weights)
