"""Adaptive two- and three-stage designs: the inverse-normal and Fisher combination tests.

Both tests combine the stage-wise one-sided p-values ``p_k`` (each computed from the data of
stage ``k`` only), so that the design keeps its type I error whatever the sample size chosen for
later stages after looking at earlier ones (Bauer and Köhne 1994; Lehmacher and Wassmer 1999).

- **Inverse normal**: ``Z*_k = sum_{i<=k} w_i Phi^-1(1 - p_i) / sqrt(sum_{i<=k} w_i^2)`` with
  weights fixed in advance, ``w_i^2 = t_i - t_{i-1}`` (the planned information rates). Under H0 the
  ``Z*_k`` have exactly the canonical joint distribution of a group-sequential design with those
  information rates, so its critical values *are* the group-sequential boundaries: they come from
  :func:`.boundaries.group_sequential_design`, not from a second computation.
- **Fisher**: reject at stage ``k`` when ``prod_{i<=k} p_i^{w_i} <= c_k``, stop for futility
  when ``p_k > alpha0_k``, with rpact's weights ``w_i = sqrt((t_i - t_{i-1}) / t_1)``. The
  critical values are found here from the exact null distribution of the product (uniform
  p-values), by closed forms in the inner variable and one adaptive quadrature in ``p_1``. Methods
  as in rpact's ``getDesignFisher``: ``equalAlpha`` (every stage level equal), ``fullAlpha`` (the
  last stage level is alpha, the earlier ones equal) and ``userDefinedAlpha`` (cumulative alpha
  spent given; for two stages with ``alpha_1`` spent at stage one this is Bauer and Köhne's
  ``alpha_1 + c_2 (ln alpha0 - ln alpha_1) = alpha``). Futility is binding in the computation.

"Stage level" is ``P(prod_{i<=k} p_i^{w_i} <= c_k)`` under H0 ignoring the other stages: the
p-value threshold that the stage-k combination alone would have (rpact's ``stageLevels``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special

from .boundaries import GroupSequentialDesign, group_sequential_design

FISHER_METHODS = ("equalAlpha", "fullAlpha", "userDefinedAlpha")
_QUAD = {"epsabs": 1e-14, "epsrel": 1e-11, "limit": 200}


def _rates(k: int, information_rates: ArrayLike | None) -> NDArray[np.float64]:
    if information_rates is None:
        return np.arange(1, k + 1) / k
    t = np.asarray(information_rates, dtype=float)
    if t.ndim != 1 or t.size != k:
        raise ValueError(f"{k} stages need {k} information rates")
    if t[0] <= 0 or np.any(np.diff(t) <= 0) or not math.isclose(t[-1], 1.0, abs_tol=1e-9):
        raise ValueError("information rates must increase strictly from above 0 to 1")
    return t


# -- inverse normal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InverseNormalDesign:
    """An inverse-normal combination test; ``boundaries`` holds its group-sequential bounds."""

    boundaries: GroupSequentialDesign

    @property
    def k(self) -> int:
        return self.boundaries.k

    @property
    def information_rates(self) -> NDArray[np.float64]:
        return self.boundaries.information_rates

    @property
    def critical_values(self) -> NDArray[np.float64]:
        return self.boundaries.upper

    @property
    def futility_bounds(self) -> NDArray[np.float64]:
        return self.boundaries.lower

    @property
    def alpha(self) -> float:
        return self.boundaries.alpha

    @property
    def weights(self) -> NDArray[np.float64]:
        """Prespecified weights ``w_k = sqrt(t_k - t_{k-1})`` (sum of squares 1)."""
        return np.sqrt(np.diff(self.information_rates, prepend=0.0))

    def stage_levels(self) -> NDArray[np.float64]:
        """One-sided nominal level of each critical value, ``1 - Phi(c_k)``."""
        return special.ndtr(-self.critical_values)

    def alpha_spent(self) -> NDArray[np.float64]:
        return self.boundaries.cumulative_alpha()

    def combination_z(self, stage_z: ArrayLike) -> NDArray[np.float64]:
        """Combination statistics ``Z*_1..Z*_k`` from the stage-wise z-statistics so far."""
        z = np.asarray(stage_z, dtype=float)
        w = self.weights[: z.size]
        return np.cumsum(w * z) / np.sqrt(np.cumsum(w * w))

    def decision(self, stage_z: ArrayLike) -> str:
        """``reject``, ``futility`` or ``continue`` (``accept`` at the last stage)."""
        zc = self.combination_z(stage_z)
        k = zc.size - 1
        if zc[-1] >= self.critical_values[k]:
            return "reject"
        if k == self.k - 1:
            return "accept"
        return "futility" if zc[-1] <= self.futility_bounds[k] else "continue"

    def summary(self) -> dict[str, Any]:
        return {
            "test": "inverse-normal",
            "kind": self.boundaries.kind,
            "alpha": self.alpha,
            "information_rates": self.information_rates.tolist(),
            "weights": self.weights.tolist(),
            "critical_values": self.critical_values.tolist(),
            "futility_bounds": self.futility_bounds.tolist(),
            "stage_levels": self.stage_levels().tolist(),
            "alpha_spent": self.alpha_spent().tolist(),
        }


def inverse_normal_design(
    k: int = 3,
    *,
    alpha: float = 0.025,
    beta: float = 0.2,
    kind: str = "classical-obf",
    information_rates: ArrayLike | None = None,
    **options: Any,
) -> InverseNormalDesign:
    """An inverse-normal design; ``kind`` and ``options`` go to ``group_sequential_design``.

    The default (classical O'Brien-Fleming, three equally spaced stages, one-sided 0.025) is
    rpact's ``getDesignInverseNormal()`` default (``typeOfDesign = "OF"``).
    """
    if not 2 <= k <= 3:
        raise ValueError("adaptive designs here have two or three stages")
    gsd = group_sequential_design(
        k,
        alpha=alpha,
        beta=beta,
        sided=1,
        spending=kind,
        information_rates=_rates(k, information_rates),
        **options,
    )
    return InverseNormalDesign(gsd)


# -- Fisher ----------------------------------------------------------------------------------------


def _fisher_weights(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.sqrt(np.diff(t, prepend=0.0) / t[0])


def _inner_reject(c: float, p1: float, w: float) -> float:
    """P(p1 * p^w <= c) over a uniform p, for a fixed p1."""
    return min(1.0, (c / p1) ** (1.0 / w))


def _stage_level(c: float, w: NDArray[np.float64]) -> float:
    """P(prod_{i<=k} p_i^{w_i} <= c) for independent uniforms (k = len(w) <= 3)."""
    if c <= 0:
        return 0.0
    if w.size == 1:
        return min(c, 1.0)
    if w.size == 2:
        return _stage2_reject(c, 0.0, 1.0, w[1])
    # Three stages: integrate the closed-form two-stage level over p_1.
    w2, w3 = w[1], w[2]

    def f(p1: float) -> float:
        return _two_uniform_tail(c / p1, w2, w3, 1.0)

    return _quad(f, 0.0, 1.0, [min(c, 1.0)])


def _stage2_reject(c: float, lo: float, hi: float, w2: float) -> float:
    """P(lo < p_1 < hi, p_1 p_2^{w2} <= c), closed form."""
    if hi <= lo:
        return 0.0
    # p_1 <= c: every p_2 rejects; above c the p_2 limit is (c / p_1)^(1/w2).
    full = max(0.0, min(hi, c) - lo)
    a, b = max(lo, c), hi
    if b <= a:
        return full
    e = 1.0 - 1.0 / w2
    # e = 0 (equal weights) is the logarithmic limit of the power formula.
    part = c * math.log(b / a) if abs(e) < 1e-14 else c ** (1.0 / w2) * (b**e - a**e) / e
    return full + part


def _two_uniform_tail(c: float, w2: float, w3: float, hi2: float) -> float:
    """P(p_2 < hi2, p_2^{w2} p_3^{w3} <= c) for uniforms, closed form (c may exceed 1)."""
    if c <= 0:
        return 0.0
    # p_2^{w2} <= c: every p_3 rejects.
    v0 = min(hi2, c ** (1.0 / w2))
    if v0 >= hi2:
        return hi2
    e = 1.0 - w2 / w3
    k = c ** (1.0 / w3)
    part = k * math.log(hi2 / v0) if abs(e) < 1e-14 else k * (hi2**e - v0**e) / e
    return v0 + part


def _quad(f: Any, a: float, b: float, points: list[float]) -> float:
    pts = [p for p in points if a < p < b]
    with warnings.catch_warnings():
        # For tiny critical values quad reports round-off against the 1e-14 absolute target;
        # the result is still good to ~1e-9 relative (rpact's published values, Monte Carlo).
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, _ = integrate.quad(f, a, b, points=pts or None, **_QUAD)
    return float(value)


def _fisher_reject_probs(
    c: NDArray[np.float64], alpha0: NDArray[np.float64], w: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Null probability of rejecting first at each stage, futility ``p_k > alpha0_k`` binding."""
    k = c.size
    out = np.zeros(k)
    out[0] = c[0]
    if k >= 2:
        out[1] = _stage2_reject(c[1], c[0], alpha0[0], w[1])
    if k == 3:
        c2, c3, w2, w3 = c[1], c[2], w[1], w[2]

        def f(p1: float) -> float:
            # Continue at stage 2: p_1 p_2^{w2} > c2 and p_2 <= alpha0_2, i.e. v in (v_lo, a02).
            v_lo = min((c2 / p1) ** (1.0 / w2), 1.0)
            a02 = alpha0[1]
            if v_lo >= a02:
                return 0.0
            # Reject at stage 3: p_3^{w3} <= c3 / (p_1 p_2^{w2}) (the closed form caps it at 1).
            return _two_uniform_tail(c3 / p1, w2, w3, a02) - _two_uniform_tail(
                c3 / p1, w2, w3, v_lo
            )

        out[2] = _quad(f, c[0], alpha0[0], [c2])
    return out


@dataclass(frozen=True)
class FisherDesign:
    """Fisher's combination test with critical values ``c_k`` and futility levels ``alpha0_k``."""

    information_rates: NDArray[np.float64]
    critical_values: NDArray[np.float64]
    alpha0: NDArray[np.float64]  # futility: stop when p_k > alpha0_k (1 = no futility stop)
    alpha: float
    method: str
    non_stochastic_curtailment: bool = False

    @property
    def k(self) -> int:
        return int(self.information_rates.size)

    @property
    def weights(self) -> NDArray[np.float64]:
        return _fisher_weights(self.information_rates)

    def stage_levels(self) -> NDArray[np.float64]:
        w = self.weights
        return np.array([_stage_level(c, w[: i + 1]) for i, c in enumerate(self.critical_values)])

    def rejection_probabilities(self) -> NDArray[np.float64]:
        """Null probability of rejecting first at each stage (futility binding)."""
        return _fisher_reject_probs(self.critical_values, self._alpha0_full(), self.weights)

    def alpha_spent(self) -> NDArray[np.float64]:
        return np.cumsum(self.rejection_probabilities())

    def _alpha0_full(self) -> NDArray[np.float64]:
        return np.concatenate([self.alpha0, [1.0]])

    def combination(self, p_values: ArrayLike) -> NDArray[np.float64]:
        """Weighted products ``prod_{i<=k} p_i^{w_i}`` for the stage-wise p-values so far."""
        p = np.asarray(p_values, dtype=float)
        return np.exp(np.cumsum(self.weights[: p.size] * np.log(p)))

    def decision(self, p_values: ArrayLike) -> str:
        p = np.asarray(p_values, dtype=float)
        k = p.size - 1
        if self.combination(p)[-1] <= self.critical_values[k]:
            return "reject"
        if k == self.k - 1:
            return "accept"
        return "futility" if p[-1] > self.alpha0[k] else "continue"

    def summary(self) -> dict[str, Any]:
        return {
            "test": "fisher",
            "method": self.method,
            "alpha": self.alpha,
            "information_rates": self.information_rates.tolist(),
            "weights": self.weights.tolist(),
            "critical_values": self.critical_values.tolist(),
            "alpha0": self.alpha0.tolist(),
            "stage_levels": self.stage_levels().tolist(),
            "alpha_spent": self.alpha_spent().tolist(),
            "non_stochastic_curtailment": self.non_stochastic_curtailment,
        }


def _c_for_level(level: float, w: NDArray[np.float64]) -> float:
    """Critical value whose stage level is ``level`` (the level is increasing in c)."""
    if w.size == 1:
        return level
    return float(
        optimize.brentq(lambda c: _stage_level(c, w) - level, 1e-300, level, xtol=1e-300,
                        rtol=1e-13)
    )


def fisher_design(
    k: int = 3,
    *,
    alpha: float = 0.025,
    alpha0: ArrayLike | float = 1.0,
    information_rates: ArrayLike | None = None,
    method: str = "equalAlpha",
    user_alpha_spending: ArrayLike | None = None,
) -> FisherDesign:
    """Fisher combination design (rpact's ``getDesignFisher`` for ``kMax`` 2 or 3).

    ``alpha0`` is one futility level per interim (or one for all); ``user_alpha_spending`` is the
    cumulative alpha spent by stage for ``method="userDefinedAlpha"``.
    """
    if not 2 <= k <= 3:
        raise ValueError("adaptive designs here have two or three stages")
    if not 0 < alpha < 0.5:
        raise ValueError("alpha must lie in (0, 0.5)")
    if method not in FISHER_METHODS:
        raise ValueError(f"method must be one of {', '.join(FISHER_METHODS)}")
    t = _rates(k, information_rates)
    a0 = np.broadcast_to(np.asarray(alpha0, dtype=float), (k - 1,)).copy()
    if np.any(a0 <= alpha) or np.any(a0 > 1):
        raise ValueError("futility levels alpha0 must lie in (alpha, 1]")
    w = _fisher_weights(t)
    a0_full = np.concatenate([a0, [1.0]])

    def total(c: NDArray[np.float64]) -> float:
        return float(_fisher_reject_probs(c, a0_full, w).sum())

    curtailed = False
    if method == "equalAlpha":
        # One stage level for all stages, chosen so that the total rejection probability is alpha.
        def excess(level: float) -> float:
            c = np.array([_c_for_level(level, w[: i + 1]) for i in range(k)])
            return total(c) - alpha

        level = float(optimize.brentq(excess, alpha * 1e-6, alpha, xtol=1e-15, rtol=1e-13))
        c = np.array([_c_for_level(level, w[: i + 1]) for i in range(k)])
    elif method == "fullAlpha":
        # rpact's rule: the last stage alone has level alpha; the earlier stages share one stage
        # level alpha_1, chosen so that the total is alpha. Where no alpha_1 > 0 does so with
        # non-increasing critical values (rpact refuses increasing ones), every critical value
        # becomes c_K ("non-stochastic curtailment": an early rejection then implies the final
        # one, as the weighted products only decrease), as rpact does.
        c_last = _c_for_level(alpha, w)

        def with_level(a1: float) -> NDArray[np.float64]:
            return np.array([_c_for_level(a1, w[: i + 1]) for i in range(k - 1)] + [c_last])

        lo_a, hi_a = 1e-13, alpha
        f_lo, f_hi = total(with_level(lo_a)) - alpha, total(with_level(hi_a)) - alpha
        if f_lo >= 0:
            a1 = 0.0
        elif f_hi <= 0:
            a1 = alpha
        else:
            a1 = float(optimize.brentq(lambda a: total(with_level(a)) - alpha, lo_a, hi_a,
                                       xtol=1e-15, rtol=1e-13))
        c = with_level(a1) if a1 >= 1e-10 else np.zeros(k)
        if a1 < 1e-10 or np.any(np.diff(c) > 0):
            c = np.full(k, c_last)
            curtailed = True
    else:
        if user_alpha_spending is None:
            raise ValueError("userDefinedAlpha needs user_alpha_spending")
        spend = np.asarray(user_alpha_spending, dtype=float)
        if spend.size != k or np.any(np.diff(spend) <= 0) or spend[0] <= 0:
            raise ValueError("user_alpha_spending must increase strictly, one value per stage")
        if not math.isclose(spend[-1], alpha, rel_tol=1e-9):
            raise ValueError("user_alpha_spending must end at alpha")
        c = np.zeros(k)
        c[0] = spend[0]
        for j in range(1, k):
            # Solve stage by stage: c_j spends exactly spend_j - spend_{j-1} at stage j.
            def excess_j(cj: float, j: int = j) -> float:
                trial = c.copy()
                trial[j] = cj
                trial[j + 1 :] = 0.0
                return float(_fisher_reject_probs(trial[: j + 1], a0_full, w)[j]) - (
                    spend[j] - spend[j - 1]
                )

            c[j] = float(optimize.brentq(excess_j, 1e-300, c[j - 1], xtol=1e-300, rtol=1e-13))
    return FisherDesign(
        information_rates=t, critical_values=c, alpha0=a0, alpha=alpha, method=method,
        non_stochastic_curtailment=curtailed,
    )
