"""Monte Carlo figures of permuted blocks (two arms) read off the blocks, not the allocations.

Every block starts and ends on target, so the convergence guesses inside a block and the imbalance
path along it depend on that block's arrangement alone. Hence, once per procedure, a table holds
for every arrangement and every prefix length r (0 to the block's size): twice the credit of the
guesses on its first r allocations (2 a hit, 1 a tie, as in ``sequence_metrics``), the largest
``|e|`` over them and ``|e|`` after them (``e = W n_A - i w_A``). A simulated sequence of n
allocations is then its blocks, the last one cut at n, and its figures are table look-ups per
block: a sum for the credit, a max for the largest imbalance, and the cut block's ``|e|`` for the
final imbalance (every full block ends at 0); credit and ``|e|`` share one packed integer.

That is about a third of the elements of the (sims, n) allocations, with no compaction of padded
blocks: 40x and more a per-participant loop (bench/randomization_assess.py), against 11-18x for
building the sequences and scanning them. The random draws are those of ``PermutedBlocks.simulate``
(:meth:`PermutedBlocks.draw_blocks`), so for a given generator state the figures are exactly,
bit for bit, those of ``sequence_metrics(simulate(...))``; the tests check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..blocks import PermutedBlocks

_ROWS = 2048


def supports_block_metrics(procedure: object) -> bool:
    """Return True for permuted blocks with two arms: the case :func:`block_metrics` covers."""
    return isinstance(procedure, PermutedBlocks) and procedure.n_arms == 2


def block_metrics(
    procedure: PermutedBlocks,
    n: int,
    sims: int,
    rng: np.random.Generator,
    exceed: Sequence[int] = (),
) -> dict[str, np.ndarray]:
    """Return the per-sequence figures of ``sequence_metrics`` for ``sims`` simulated sequences of
    ``n`` allocations, drawing from ``rng`` exactly what ``procedure.simulate(n, sims, rng)``
    draws."""
    packed, peak, row_stride, modulus = _prefix_tables(procedure.ratio, procedure.block_sizes)
    _, counts = procedure.arrangement_table()
    size_index, uniform = procedure.draw_blocks(n, sims, rng)
    doubled = np.empty(sims, dtype=np.int64)
    final_e = np.empty(sims, dtype=np.int64)
    max_e = np.empty(sims, dtype=peak.dtype)
    # A few thousand sequences at a time: the intermediates stay in cache.
    for first in range(0, sims, _ROWS):
        rows = slice(first, first + _ROWS)
        key = _table_keys(procedure, n, size_index[rows], uniform[rows], counts, row_stride)
        # One look-up for two figures: the credit times ``modulus`` plus |e|. Only the block cut
        # at n can end off target, and blocks past n read prefix 0, so the |e| part sums to the
        # final |e|.
        both = packed.take(key).sum(axis=1, dtype=np.int64)
        np.floor_divide(both, modulus, out=doubled[rows])
        np.remainder(both, modulus, out=final_e[rows])
        peak.take(key).max(axis=1, out=max_e[rows])
    total = sum(procedure.ratio)
    final = final_e * (2 / total)
    metrics = {
        "correct": doubled / (2 * n),
        "final": final,
        "max": max_e * (2 / total),
    }
    for k in exceed:
        metrics[f"exceeds_{k}"] = (final > k + 1e-9).astype(float)
    return metrics


def _table_keys(
    procedure: PermutedBlocks,
    n: int,
    size_index: np.ndarray,
    uniform: np.ndarray,
    counts: np.ndarray,
    row_stride: int,
) -> np.ndarray:
    """Return the prefix tables' key of every block: (arrangement row, allocations used)."""
    largest = procedure.block_sizes[-1]
    # Small integers for sizes and positions (moving the arrays is most of the cost), native ones
    # for what indexes a table (``take`` would convert any other type).
    small = np.int16 if (size_index.shape[1] + 1) * largest < 2**15 else np.int32
    block_size = np.asarray(procedure.block_sizes, dtype=small).take(size_index)
    end = np.cumsum(block_size, axis=1, dtype=small)
    # A block is needed if it starts before n in some sequence (block j starts where j - 1 ends).
    needed = 1 + int(np.count_nonzero(end.min(axis=0)[:-1] < n))
    size_index, uniform = size_index[:, :needed], uniform[:, :needed]
    block_size, end = block_size[:, :needed], end[:, :needed]
    # Allocations of each block among the first n: its size, n - start when cut, 0 past n;
    # that is max(size + min(n - end, 0), 0), in place.
    used = np.subtract(n, end, dtype=small)
    np.minimum(used, 0, out=used)
    used += block_size
    np.maximum(used, 0, out=used)
    key = (uniform * counts.astype(np.float64).take(size_index)).astype(np.intp)
    key += size_index * row_stride
    key *= largest + 1
    key += used
    return key


@lru_cache(maxsize=32)
def _prefix_tables(
    ratio: tuple[int, ...], sizes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Return flat tables (doubled credit * modulus + |e|; running max |e|) indexed by
    ``(size index * row_stride + arrangement) * (largest size + 1) + prefix length``,
    row_stride (the number of arrangement rows per size in the table) and the modulus."""
    table, _ = PermutedBlocks(ratio, sizes).arrangement_table()
    n_sizes, row_stride, largest = table.shape
    w_a = ratio[0]
    total = sum(ratio)
    is_a = table == 0
    e = np.cumsum(is_a, axis=-1, dtype=np.int64) * total - np.arange(1, largest + 1) * w_a
    before = np.zeros_like(e)
    before[..., 1:] = e[..., :-1]
    # The arm taken was the one behind (the same rule as sequence_metrics); a tie counts half.
    hit = ((before < 0) == is_a) & (before != 0)
    step = 2 * hit + (before == 0)
    zero = np.zeros((n_sizes, row_stride, 1), dtype=np.int64)
    credit = np.concatenate([zero, np.cumsum(step, axis=-1)], axis=-1)
    magnitude = np.abs(e)
    peak = np.concatenate([zero, np.maximum.accumulate(magnitude, axis=-1)], axis=-1)
    last = np.concatenate([zero, magnitude], axis=-1)
    # Past a block's end the entries are garbage, but ``used`` never exceeds the block's size.
    modulus = total * largest + 1  # above any |e|, so credit and |e| share one integer
    packed = credit * modulus + last
    packed_type = np.int32 if packed.max() < 2**31 else np.int64
    peak_type = np.int16 if modulus < 2**15 else np.int32
    return (
        packed.astype(packed_type).ravel(),
        peak.astype(peak_type).ravel(),
        row_stride,
        modulus,
    )
