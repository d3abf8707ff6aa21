"""Hodges-Lehmann shift between two samples with its distribution-free interval.

The estimate is the median of all n_a * n_b pairwise differences a_i - b_j (Hodges and Lehmann
1963). The interval follows R's ``wilcox.test(x, y, conf.int = TRUE)`` exactly:

- **exact** (Bauer 1972) when there are no ties and both samples have fewer than 50 values: the
  interval is [D_(k), D_(nm+1-k)] of the sorted pairwise differences, with k from the exact null
  distribution of the Mann-Whitney statistic (R: ``qwilcox(alpha/2, n_a, n_b)``, at least 1);
- **normal approximation** otherwise: the shifts d at which the tie-corrected, continuity-corrected
  standardized Mann-Whitney statistic of (a - d, b) crosses -+z; these are pairwise differences,
  found here exactly (R finds them with ``uniroot`` to 1e-4).

Pairwise differences are never all stored: their order statistics are found by counting with
sorted arrays, so 5,000 against 5,000 values takes milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

EXACT = "exact (Bauer 1972; as R wilcox.test, no ties and both groups < 50)"
DEGENERATE = "degenerate: each group holds a single value, every pairwise difference is the same"
NORMAL = (
    "normal approximation with tie and continuity corrections (as R wilcox.test; "
    "ties present or a group of 50 or more)"
)


@dataclass(frozen=True)
class HodgesLehmann:
    estimate: float
    lower: float
    upper: float
    level: float
    interval_method: str
    achieved_level: float | None = None


def _count_le(a: np.ndarray, b_sorted: np.ndarray, t: float) -> int:
    """Number of pairs with a_i - b_j <= t."""
    # a_i - b_j <= t  <=>  b_j >= a_i - t
    return int(len(b_sorted) * len(a) - np.searchsorted(b_sorted, a - t, side="left").sum())


def kth_pairwise_difference(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Return the k-th smallest (1-based) of the differences a_i - b_j, without forming them all."""
    a = np.sort(np.asarray(a, dtype=float))
    b = np.sort(np.asarray(b, dtype=float))
    total = len(a) * len(b)
    if not 1 <= k <= total:
        raise ValueError(f"k must be between 1 and {total}, got {k}")
    if total <= 250_000:
        return float(np.partition(np.subtract.outer(a, b).ravel(), k - 1)[k - 1])
    lo, hi = a[0] - b[-1], a[-1] - b[0]
    lo -= max(1.0, abs(lo))  # strictly below every difference: count_le(lo) = 0 < k
    # Bisection on the value, then snap to the smallest difference that is >= lo.
    for _ in range(200):
        if hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi)):
            break
        mid = (lo + hi) / 2
        if _count_le(a, b, mid) >= k:
            hi = mid
        else:
            lo = mid
    # The k-th difference lies in (lo, hi]; it is the smallest difference greater than lo.
    idx = np.searchsorted(b, a - lo, side="left")  # first b_j >= a_i - lo -> a_i - b_j <= lo
    # differences greater than lo for row i are a_i - b_j with b_j < a_i - lo: the largest such b_j.
    valid = idx > 0
    candidates = a[valid] - b[idx[valid] - 1]
    return float(candidates.min())


def _mann_whitney_null_counts(n_a: int, n_b: int) -> np.ndarray:
    """Distribution of U (0..n_a*n_b) under the null, as probabilities (no ties)."""
    # Generating function: prod_{i=1}^{n_a} (1 - q^(n_b + i)) / (1 - q^i).
    size = n_a * n_b + 1
    poly = np.zeros(size)
    poly[0] = 1.0
    for i in range(1, n_a + 1):
        shift = n_b + i
        # multiply by (1 - q^shift)
        if shift < size:
            poly[shift:] = poly[shift:] - poly[: size - shift].copy()
        # divide by (1 - q^i): running sum with stride i
        for start in range(i):
            poly[start::i] = np.cumsum(poly[start::i])
    return poly / poly.sum()


def qwilcox(p: float, n_a: int, n_b: int) -> int:
    """R's qwilcox: the smallest q with P(U <= q) >= p."""
    cdf = np.cumsum(_mann_whitney_null_counts(n_a, n_b))
    return int(np.searchsorted(cdf, p * (1 - 64 * np.finfo(float).eps), side="left"))


def pwilcox(q: int, n_a: int, n_b: int) -> float:
    if q < 0:
        return 0.0
    return float(np.cumsum(_mann_whitney_null_counts(n_a, n_b))[min(q, n_a * n_b)])


def _standardized_statistic(a: np.ndarray, b_sorted: np.ndarray, d: float, n_a: int, n_b: int):
    """(W(d) - n_a n_b / 2 - correction) / sigma(d), as R's wdiff with continuity correction."""
    shifted = a - d
    less = np.searchsorted(b_sorted, shifted, side="left")  # b_j < a_i - d
    equal = np.searchsorted(b_sorted, shifted, side="right") - less
    w = float(less.sum() + 0.5 * equal.sum())
    dz = w - n_a * n_b / 2
    _, counts = np.unique(np.concatenate([shifted, b_sorted]), return_counts=True)
    ties = float(np.sum(counts.astype(float) ** 3 - counts))
    n = n_a + n_b
    sigma = math.sqrt((n_a * n_b / 12) * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        raise ValueError("cannot compute an interval when all observations are tied")
    correction = math.copysign(0.5, dz) if dz != 0 else 0.0
    return (dz - correction) / sigma


def _root(a, b_sorted, n_a, n_b, zq, lo, hi) -> float:
    f_lo = _standardized_statistic(a, b_sorted, lo, n_a, n_b) - zq
    f_hi = _standardized_statistic(a, b_sorted, hi, n_a, n_b) - zq
    if f_lo <= 0:
        return lo
    if f_hi >= 0:
        return hi
    # f is a non-increasing step function of d whose steps sit at pairwise differences:
    # bisect to the step, then snap to the pairwise difference there.
    for _ in range(200):
        if hi - lo <= 1e-11 * max(1.0, abs(lo), abs(hi)):
            break
        mid = (lo + hi) / 2
        if _standardized_statistic(a, b_sorted, mid, n_a, n_b) - zq > 0:
            lo = mid
        else:
            hi = mid
    return _nearest_difference(a, b_sorted, (lo + hi) / 2)


def _nearest_difference(a: np.ndarray, b_sorted: np.ndarray, t: float) -> float:
    idx = np.searchsorted(b_sorted, a - t)
    best = math.inf
    value = t
    for offset in (-1, 0):
        j = np.clip(idx + offset, 0, len(b_sorted) - 1)
        diffs = a - b_sorted[j]
        i = int(np.argmin(np.abs(diffs - t)))
        if abs(diffs[i] - t) < best:
            best, value = abs(diffs[i] - t), float(diffs[i])
    return value


def hodges_lehmann(a, b, level: float = 0.95) -> HodgesLehmann:
    """Return the Hodges-Lehmann shift a - b with its interval (exact or normal; see module)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0:
        raise ValueError("both groups need at least one value")
    total = n_a * n_b
    if total % 2:
        estimate = kth_pairwise_difference(a, b, total // 2 + 1)
    else:
        estimate = 0.5 * (
            kth_pairwise_difference(a, b, total // 2)
            + kth_pairwise_difference(a, b, total // 2 + 1)
        )
    if np.all(a == a[0]) and np.all(b == b[0]):
        # Every pairwise difference is a[0] - b[0]; R's wilcox.test stops with an error here.
        return HodgesLehmann(estimate, estimate, estimate, level, DEGENERATE, None)
    alpha = 1 - level
    has_ties = len(np.unique(np.concatenate([a, b]))) < n_a + n_b
    if not has_ties and n_a < 50 and n_b < 50:
        qu = qwilcox(alpha / 2, n_a, n_b)
        if qu == 0:
            qu = 1
        ql = total - qu
        achieved = 1 - 2 * pwilcox(qu - 1, n_a, n_b)
        lower = kth_pairwise_difference(a, b, qu)
        upper = kth_pairwise_difference(a, b, ql + 1)
        return HodgesLehmann(estimate, lower, upper, level, EXACT, achieved)
    b_sorted = np.sort(b)
    lo, hi = float(a.min() - b.max()), float(a.max() - b.min())
    z = float(norm.ppf(1 - alpha / 2))
    lower = _root(a, b_sorted, n_a, n_b, z, lo, hi)
    upper = _root(a, b_sorted, n_a, n_b, -z, lo, hi)
    return HodgesLehmann(estimate, lower, upper, level, NORMAL, None)
