"""Pocock-Simon minimization (Pocock & Simon 1975, Biometrics 31:103-115).

For a new participant, each arm is scored by the imbalance it would leave in the participant's
level of every factor (range or variance of the arm counts, each divided by the arm's ratio weight),
summed with the factor weights. The arm(s) with the lowest score are taken with probability ``p``;
the others share ``1 - p``. When all arms score the same the draw follows the ratio. Since the
allocation depends on everyone randomized before, it runs at randomization time (:mod:`.dynamic`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .base import Procedure, register, require, shares
from .random_source import choose_index, choose_indices

IMBALANCE_MEASURES = ("range", "variance")


@dataclass(frozen=True)
class MinimizationDecision:
    """One allocation: the arm taken, the probabilities it was drawn with, the minimizing arms."""

    arm: int
    probabilities: tuple[float, ...]
    scores: tuple[float, ...]
    minimizing: tuple[int, ...]

    @property
    def followed_minimization(self) -> bool | None:
        """True if the arm taken minimizes imbalance; None if every arm scores the same."""
        if len(self.minimizing) == len(self.scores):
            return None
        return self.arm in self.minimizing


class MinimizationState:
    """Counts of earlier allocations by factor, level and arm."""

    def __init__(self, levels_per_factor: Sequence[int], n_arms: int) -> None:
        self.levels_per_factor = tuple(int(n) for n in levels_per_factor)
        self.counts = np.zeros(
            (len(self.levels_per_factor), max(self.levels_per_factor, default=1), n_arms),
            dtype=np.int64,
        )

    def add(self, levels: Sequence[int], arm: int) -> None:
        """Record that a participant with ``levels`` (one index per factor) received ``arm``."""
        for factor, level in enumerate(levels):
            self.counts[factor, level, arm] += 1


@register
class Minimization(Procedure):
    """Pocock-Simon minimization with a random element ``p`` (required to be below 1)."""

    name = "minimization"
    dynamic = True

    def __init__(
        self,
        ratio: Sequence[int] = (1, 1),
        p: float = 0.8,
        imbalance: str = "range",
        weights: Sequence[float] | None = None,
    ) -> None:
        super().__init__(ratio)
        p = float(p)
        require(
            p < 1,
            "minimization: p = 1 would make every allocation predictable from the earlier ones; "
            "ICH E9 asks for a random element, so p must be below 1 (for example 0.8)",
        )
        require(p > 0, f"minimization: p must be between 0 and 1, got {p}")
        require(
            imbalance in IMBALANCE_MEASURES,
            f"minimization: imbalance must be one of {', '.join(IMBALANCE_MEASURES)}, "
            f"got {imbalance!r}",
        )
        if weights is not None:
            require(
                all(float(w) >= 0 for w in weights), "minimization: factor weights must be >= 0"
            )
        self.p = p
        self.imbalance = imbalance
        self.factor_weights = None if weights is None else tuple(float(w) for w in weights)

    @property
    def parameters(self) -> dict:
        extra = {"p": self.p, "imbalance": self.imbalance}
        if self.factor_weights is not None:
            extra["weights"] = list(self.factor_weights)
        return {**super().parameters, **extra}

    def new_state(self, levels_per_factor: Sequence[int]) -> MinimizationState:
        """Return an empty state for factors with the given numbers of levels."""
        if self.factor_weights is not None:
            require(
                len(self.factor_weights) == len(levels_per_factor),
                f"minimization: {len(self.factor_weights)} factor weights for "
                f"{len(levels_per_factor)} factors",
            )
        return MinimizationState(levels_per_factor, self.n_arms)

    def scores(self, counts: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """Return each arm's imbalance score, shape (..., K), vectorized over leading axes.

        ``counts`` has shape (..., F, L, K) and ``levels`` (..., F) (level index per factor).
        """
        n_factors = counts.shape[-3]
        at_level = np.take_along_axis(
            counts, np.asarray(levels)[..., None, None].astype(np.int64), axis=-2
        )[..., 0, :]  # (..., F, K)
        eye = np.eye(self.n_arms, dtype=counts.dtype)
        after = (at_level[..., None, :, :] + eye[:, None, :]) / self.weights  # (..., K, F, K)
        if self.imbalance == "range":
            measure = after.max(axis=-1) - after.min(axis=-1)
        else:
            measure = after.var(axis=-1)
        factor_weights = (
            np.ones(n_factors) if self.factor_weights is None else np.asarray(self.factor_weights)
        )
        return measure @ factor_weights

    def probabilities(
        self, counts: np.ndarray, levels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (next-arm probabilities, minimizing-arm mask), both of shape (..., K)."""
        scores = self.scores(counts, levels)
        minimizing = scores <= scores.min(axis=-1, keepdims=True) + 1e-9
        tied = minimizing.all(axis=-1, keepdims=True)
        biased = self.p * shares(minimizing, self.weights) + (1 - self.p) * shares(
            ~minimizing, self.weights
        )
        return np.where(tied, self.target, biased), minimizing

    def allocate(
        self, state: MinimizationState, levels: Sequence[int], u: float
    ) -> MinimizationDecision:
        """Return the decision for a participant with ``levels``, using the uniform draw ``u``.

        The state is not changed; call ``state.add(levels, decision.arm)`` to record it.
        """
        for factor, level in enumerate(levels):
            require(
                0 <= level < state.levels_per_factor[factor],
                f"minimization: level index {level} out of range for factor {factor}",
            )
        probabilities, minimizing = self.probabilities(state.counts, np.asarray(levels))
        scores = self.scores(state.counts, np.asarray(levels))
        arm = choose_index(probabilities.tolist(), u)
        return MinimizationDecision(
            arm=arm,
            probabilities=tuple(probabilities.tolist()),
            scores=tuple(scores.tolist()),
            minimizing=tuple(int(k) for k in np.flatnonzero(minimizing)),
        )

    def simulate(
        self,
        length: int,
        sims: int,
        rng: np.random.Generator,
        level_probabilities: Sequence[Sequence[float]],
    ) -> np.ndarray:
        """Return (sims, length) arms for participants whose factor levels are drawn independently.

        ``level_probabilities[f]`` gives the distribution of factor ``f``'s levels. One step per
        participant, vectorized across the simulated trials.
        """
        cumulative = [np.cumsum(probs) / np.sum(probs) for probs in level_probabilities]
        if self.factor_weights is not None:
            require(
                len(self.factor_weights) == len(cumulative),
                f"minimization: {len(self.factor_weights)} factor weights for "
                f"{len(cumulative)} factors",
            )
        n_levels = [len(c) for c in cumulative]
        # All draws up front, in one call per factor: levels[i, sim, factor] and u[i, sim].
        levels = np.stack(
            [
                np.minimum(np.searchsorted(c, rng.random((length, sims)), side="right"), len(c) - 1)
                for c in cumulative
            ],
            axis=2,
        )
        u = rng.random((length, sims))
        arms = np.empty((sims, length), dtype=np.int8)
        if self.n_arms == 2:
            # Flat positions of each participant's levels in the (sims, factors, levels) table.
            offsets = np.arange(sims)[:, None] * (len(n_levels) * max(n_levels))
            offsets = offsets + np.arange(len(n_levels))[None, :] * max(n_levels)
            scaled = np.zeros(sims * len(n_levels) * max(n_levels), dtype=np.int64)
            for i in range(length):
                arms[:, i] = self._two_arm_step(scaled, offsets + levels[i], u[i])
        else:
            counts = np.zeros((sims, len(n_levels), max(n_levels), self.n_arms), dtype=np.int64)
            for i in range(length):
                arms[:, i] = self._general_step(counts, levels[i], u[i])
        return arms

    def _general_step(self, counts: np.ndarray, levels: np.ndarray, u: np.ndarray) -> np.ndarray:
        probabilities, _ = self.probabilities(counts, levels)
        chosen = choose_indices(probabilities, u)
        rows = np.arange(len(u))
        for factor in range(levels.shape[1]):
            counts[rows, factor, levels[:, factor], chosen] += 1
        return chosen

    def _two_arm_step(self, scaled: np.ndarray, positions: np.ndarray, u: np.ndarray) -> np.ndarray:
        # The same rule as `probabilities` for two arms, kept as one signed number per level,
        # d = a w_B - b w_A: adding arm A makes the level's range |d + w_B| / (w_A w_B) (the
        # variance is proportional to its square), adding arm B |d - w_A| / (w_A w_B).
        w_a, w_b = self.ratio
        d = scaled[positions]  # (sims, factors)
        if_a, if_b = np.abs(d + w_b), np.abs(d - w_a)
        if self.imbalance == "variance":
            if_a, if_b = if_a**2, if_b**2
        weights = (
            np.ones(d.shape[1]) if self.factor_weights is None else np.array(self.factor_weights)
        )
        difference = (if_a - if_b) @ weights
        p_a = np.where(difference < 0, self.p, np.where(difference > 0, 1 - self.p, self.target[0]))
        chosen = u >= p_a  # arm 1 unless the draw falls below P(arm 0)
        scaled[positions] = d + np.where(chosen, -w_a, w_b)[:, None]
        return chosen.astype(np.int8)
