"""Exact operating characteristics of a two-arm group-sequential design with a binary endpoint.

Boundaries of a group-sequential design come from the normal approximation; with binary data the
test statistic is discrete, so the real type I error and power differ from the nominal ones. Here
they are computed exactly, with no Monte Carlo error: the joint distribution of the cumulative
event counts ``(x_control, x_treatment)`` among trials still running is carried from look to look
by convolving with the binomial distribution of the new participants' events (a matrix product
with banded Toeplitz matrices along each axis), and at each look the mass on outcomes whose
statistic crosses a boundary is removed and recorded.

The statistic is the pooled-variance (score) z for the difference in proportions, oriented so that
positive values favour treatment (``benefit="lower"``: fewer events on treatment, as for
mortality). It is 0 where all or none of the participants had the event. Per-arm numbers at each
look are fixed (e.g. blocked randomization with looks at block boundaries, no missing outcomes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, stats


def score_z(
    x_c: ArrayLike, n_c: ArrayLike, x_t: ArrayLike, n_t: ArrayLike, benefit: str = "lower"
) -> NDArray[np.float64]:
    """Pooled-variance z for ``p_control - p_treatment`` (sign flipped for ``benefit="higher"``)."""
    x_c, n_c, x_t, n_t = (np.asarray(v, dtype=float) for v in (x_c, n_c, x_t, n_t))
    pc = x_c / n_c
    pt = x_t / n_t
    pbar = (x_c + x_t) / (n_c + n_t)
    var = pbar * (1.0 - pbar) * (1.0 / n_c + 1.0 / n_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (pc - pt) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    return z if benefit == "lower" else -z


@dataclass(frozen=True)
class ExactBinaryOC:
    """Exact per-look exit probabilities and summaries."""

    upper: NDArray[np.float64]  # P(stop for efficacy at look k)
    lower: NDArray[np.float64]  # P(stop at look k on the lower bound: futility or harm)
    n_total: NDArray[np.int64]  # participants analysed at each look (both arms)

    @property
    def rejection_probability(self) -> float:
        """P(crossing the upper boundary at some look): type I error under H0, power under H1."""
        return float(self.upper.sum())

    @property
    def expected_n(self) -> float:
        stop = self.upper + self.lower
        stop = stop.copy()
        stop[-1] = 1.0 - stop[:-1].sum()
        return float(stop @ self.n_total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rejection_probability": self.rejection_probability,
            "upper": self.upper.tolist(),
            "lower": self.lower.tolist(),
            "expected_n": self.expected_n,
        }


def _toeplitz(pmf: NDArray, rows: int) -> NDArray:
    """Matrix T with T[i, i + j] = pmf[j]: ``state @ T`` adds a binomial count to each state."""
    first_row = np.concatenate([pmf, np.zeros(rows - 1)])
    first_col = np.zeros(rows)
    first_col[0] = pmf[0]
    return linalg.toeplitz(first_col, first_row)


def binary_exact_oc(
    n_control: Sequence[int],
    n_treatment: Sequence[int],
    p_control: float,
    p_treatment: float,
    upper: ArrayLike,
    lower: ArrayLike | None = None,
    *,
    sided: int = 1,
    benefit: str = "lower",
) -> ExactBinaryOC:
    """Exact exit probabilities of the design with cumulative per-arm sizes at each look.

    ``upper`` are z bounds for efficacy; ``lower`` optional futility z bounds (stop when
    ``z <= lower``). ``sided=2`` adds the symmetric harm bound ``z <= -upper`` (recorded as
    ``lower``).
    """
    nc = np.asarray(n_control, dtype=int)
    nt = np.asarray(n_treatment, dtype=int)
    up = np.asarray(upper, dtype=float)
    k = nc.size
    if nt.size != k or up.size != k:
        raise ValueError("n_control, n_treatment and upper need one entry per look")
    if np.any(np.diff(nc) < 0) or np.any(np.diff(nt) < 0) or nc[0] < 1 or nt[0] < 1:
        raise ValueError("cumulative per-arm sizes must be positive and non-decreasing")
    if lower is None:
        lo = -up if sided == 2 else np.full(k, -np.inf)
    else:
        if sided == 2:
            raise ValueError("give either futility bounds or a two-sided design, not both")
        lo = np.asarray(lower, dtype=float)
    state = np.ones((1, 1))
    prev_c = prev_t = 0
    pu = np.zeros(k)
    pl = np.zeros(k)
    for j in range(k):
        m_c, m_t = nc[j] - prev_c, nt[j] - prev_t
        if m_c:
            state = (
                _toeplitz(stats.binom.pmf(np.arange(m_c + 1), m_c, p_control), state.shape[0]).T
                @ state
            )
        if m_t:
            state = state @ _toeplitz(
                stats.binom.pmf(np.arange(m_t + 1), m_t, p_treatment), state.shape[1]
            )
        prev_c, prev_t = nc[j], nt[j]
        z = score_z(
            np.arange(nc[j] + 1)[:, None], nc[j], np.arange(nt[j] + 1)[None, :], nt[j], benefit
        )
        # A hair of tolerance so that a z exactly on the bound (ties in the lattice) rejects.
        hit_up = z >= up[j] - 1e-12
        hit_lo = (z <= lo[j] + 1e-12) & ~hit_up
        if j == k - 1 and lower is not None:
            hit_lo = ~hit_up
        pu[j] = state[hit_up].sum()
        pl[j] = state[hit_lo].sum()
        state = np.where(hit_up | hit_lo, 0.0, state)
    return ExactBinaryOC(upper=pu, lower=pl, n_total=nc + nt)


def looks_per_arm(n_per_arm: int, information_rates: ArrayLike) -> list[int]:
    """Cumulative per-arm sizes at looks placed at the given information fractions (rounded)."""
    t = np.asarray(information_rates, dtype=float)
    return [int(v) for v in np.maximum(1, np.rint(t * n_per_arm).astype(int))]
