"""Permuted blocks, of a fixed size or of sizes drawn at random from a set."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .base import ProcedureError, SequenceProcedure, Slot, register, require
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
        # Without a loop over participants: draw each block's size and one of its equally likely
        # arrangements, look them up in a table padded with -1, drop the padding and keep the
        # first `length` arms of every sequence.
        table, counts = self.arrangement_table()
        size_index, uniform = self.draw_blocks(length, sims, rng)
        arrangement = (uniform * counts[size_index]).astype(np.intp)
        blocks = table[size_index, arrangement]  # (sims, n_blocks, largest size)
        valid = blocks >= 0
        lengths = valid.sum(axis=(1, 2))
        starts = np.cumsum(lengths) - lengths
        return blocks[valid][starts[:, None] + np.arange(length)]

    def draw_blocks(
        self, length: int, sims: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the random draws of :meth:`simulate`, in its order: each block's size index
        and a uniform that picks its arrangement (``floor(uniform * arrangements of that size)``),
        both (sims, blocks), with enough blocks for ``length`` slots.

        Shared so that the assessment, which reads the figures off the blocks without building
        the sequences, draws exactly what :meth:`simulate` draws from the same generator.
        """
        n_blocks = length // min(self.block_sizes) + 1
        size_index = rng.integers(len(self.block_sizes), size=(sims, n_blocks))
        return size_index, rng.random((sims, n_blocks))

    def arrangement_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (table[size index, arrangement, rank] of arms, -1 past the block's end;
        number of arrangements per size index)."""
        return _arrangement_table(self.ratio, self.block_sizes)


def _distinct_arrangements(counts: list[int]) -> list[tuple[int, ...]]:
    """Return every distinct ordering of a multiset given by arm counts."""
    if not any(counts):
        return [()]
    result = []
    for arm, count in enumerate(counts):
        if count:
            counts[arm] -= 1
            result.extend((arm, *rest) for rest in _distinct_arrangements(counts))
            counts[arm] += 1
    return result


@lru_cache(maxsize=32)
def _arrangement_table(
    ratio: tuple[int, ...], sizes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (table[size, arrangement, rank] of arms, -1 past the block's end; arrangements
    per size)."""
    cycle = sum(ratio)
    per_size = [_distinct_arrangements([w * s // cycle for w in ratio]) for s in sizes]
    if max(len(a) for a in per_size) > 200_000:
        raise ProcedureError("permuted-blocks: blocks too large to simulate by table lookup")
    table = np.full((len(sizes), max(len(a) for a in per_size), max(sizes)), -1, dtype=np.int8)
    for index, arrangements in enumerate(per_size):
        table[index, : len(arrangements), : sizes[index]] = arrangements
    return table, np.array([len(a) for a in per_size])
