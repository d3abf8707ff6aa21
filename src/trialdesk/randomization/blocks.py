"""Permuted blocks, of a fixed size or of sizes drawn at random from a set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import SequenceProcedure, Slot, register, require
from .random_source import RandomSource


@register
class PermutedBlocks(SequenceProcedure):
    """Blocks containing each arm in the exact ratio, each block a random permutation.

    With several sizes, each block's size is drawn uniformly from ``block_sizes``. A list is made
    of complete blocks: it ends on the first block end at or after the requested number of slots,
    so every stratum's list is balanced at its end.
    """

    name = "permuted-blocks"

    def __init__(self, ratio: Sequence[int] = (1, 1), block_sizes: Sequence[int] = (4,)) -> None:
        super().__init__(ratio)
        sizes = sorted({int(size) for size in block_sizes})
        require(bool(sizes), "permuted-blocks: block_sizes must name at least one size")
        cycle = sum(self.ratio)
        bad = [size for size in sizes if size <= 0 or size % cycle]
        require(
            not bad,
            f"permuted-blocks: every block size must be a positive multiple of {cycle} "
            f"(the sum of the ratio {':'.join(map(str, self.ratio))}); got {bad}",
        )
        self.block_sizes: tuple[int, ...] = tuple(sizes)

    @property
    def parameters(self) -> dict:
        return {**super().parameters, "block_sizes": list(self.block_sizes)}

    def block_contents(self, size: int) -> list[int]:
        """Return the arms of one unshuffled block of ``size``."""
        per_cycle = size // sum(self.ratio)
        return [arm for arm, weight in enumerate(self.ratio) for _ in range(weight * per_cycle)]

    def sequence(self, length: int, source: RandomSource) -> list[Slot]:
        slots: list[Slot] = []
        block = 0
        while len(slots) < length:
            block += 1
            size = self.block_sizes[source.below(len(self.block_sizes))]
            arms = source.shuffle(self.block_contents(size))
            slots.extend(Slot(arm, block, size) for arm in arms)
        return slots

    def simulate(self, length: int, sims: int, rng: np.random.Generator) -> np.ndarray:
        # One step per participant, vectorized across simulations: the next arm is drawn with
        # probability remaining-in-block / left-in-block, which gives a uniform permutation.
        sizes = np.asarray(self.block_sizes)
        contents = np.stack(
            [np.bincount(self.block_contents(s), minlength=self.n_arms) for s in sizes]
        )
        rows = np.arange(sims)
        remaining = np.zeros((sims, self.n_arms), dtype=np.int64)
        arms = np.empty((sims, length), dtype=np.int8)
        for i in range(length):
            empty = remaining.sum(axis=1) == 0
            if empty.any():
                remaining[empty] = contents[rng.integers(len(sizes), size=int(empty.sum()))]
            left = remaining.sum(axis=1)
            target = rng.random(sims) * left
            chosen = (target[:, None] < np.cumsum(remaining, axis=1)).argmax(axis=1)
            remaining[rows, chosen] -= 1
            arms[:, i] = chosen
        return arms
