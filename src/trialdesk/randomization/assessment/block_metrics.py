"""Monte Carlo figures of permuted blocks (two arms) read off the blocks, not the allocations.

Every block starts and ends on target, so the convergence guesses inside a block and the imbalance
path along it depend on that block's arrangement alone. Hence, once per procedure, a table holds
for every arrangement and every prefix length r (0 to the block's size): twice the credit of the
guesses on its first r allocations (2 a hit, 1 a tie, as in ``sequence_metrics``), the largest
``|e|`` over them and ``|e|`` after them (``e = W n_A - i w_A``). A simulated sequence of n
allocations is then its blocks, the last one cut at n, and its figures are one table look-up per
block: a sum for the credit, a max for the largest imbalance, and the cut block's ``|e|`` for the
final imbalance (every full block ends at 0).

That is about a third of the work of building the (sims, n) allocations and scanning them, and
no compaction of the padded blocks. The random draws are those of ``PermutedBlocks.simulate``
(:meth:`PermutedBlocks.draw_blocks`), so for a given generator state the figures are exactly,
bit for bit, those of ``sequence_metrics(simulate(...))``; the tests check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..blocks import PermutedBlocks


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
    credit, peak, last, row_stride = _prefix_tables(procedure.ratio, procedure.block_sizes)
    _, counts = procedure.arrangement_table()
    largest = procedure.block_sizes[-1]
    size_index, uniform = procedure.draw_blocks(n, sims, rng)
    # Small integers for the sizes and positions (moving the (sims, blocks) arrays is most of the
    # cost), native ones for what indexes a table (``take`` would convert any other type).
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
    doubled = credit.take(key).sum(axis=1, dtype=np.int64)
    # Only the block cut at n can end off target, and blocks past n read prefix 0: a sum is its |e|.
    final_e = last.take(key).sum(axis=1, dtype=np.int64)
    max_e = peak.take(key).max(axis=1)
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


@lru_cache(maxsize=32)
def _prefix_tables(
    ratio: tuple[int, ...], sizes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Return flat tables (doubled credit, running max |e|, |e|) indexed by
    ``(size index * row_stride + arrangement) * (largest size + 1) + prefix length``, and
    row_stride (the number of arrangement rows per size in the table)."""
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
    dtype = np.int16 if max(2 * largest, total * largest) < 2**15 else np.int32
    return (
        credit.astype(dtype).ravel(),
        peak.astype(dtype).ravel(),
        last.astype(dtype).ravel(),
        row_stride,
    )
