"""Group-sequential designs: boundaries, inflation factor, exit probabilities, expected sample size.

All probabilities come from the recursive numerical integration in :mod:`.numint` (no Monte Carlo).

Designs:

- alpha spending (Lan and DeMets 1983) with the families of :mod:`.spending`, one- or two-sided
  (two-sided designs are symmetric and spend ``f(t; alpha/2)`` on each side, as rpact does);
- classical Pocock and O'Brien-Fleming (Wang-Tsiatis ``Delta`` = 0.5 and 0):
  ``b_k = c t_k^(Delta - 1/2)`` with ``c`` chosen so that the total crossing probability is alpha;
- futility by beta spending (one-sided only), binding (upper bounds computed accounting for the
  futility stop) or non-binding (upper bounds computed as if futility were never obeyed; the
  default, as in rpact). The maximum information is found so that the last futility and efficacy
  bounds meet (rpact/gsDesign convention).

The z-statistic is oriented so that large values favour the experimental treatment. "drift" is the
expected z-statistic at full information under the design alternative; the inflation factor is
``(drift / (z_{1-alpha} + z_{1-beta}))^2`` (with ``alpha/2`` for two-sided designs): the maximum
sample size of the group-sequential design divided by that of the fixed design with the same
alpha and power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from .numint import DEFAULT_R, CrossingProbabilities, Recursion, crossing_probabilities
from .spending import SpendingFunction

CLASSICAL = {"classical-pocock": 0.5, "classical-obf": 0.0}
_Z_MAX = 40.0  # a boundary "at infinity" for root finding: P(Z > 40) underflows to 0


def _rates(k: int, information_rates: ArrayLike | None) -> NDArray[np.float64]:
    if information_rates is None:
        return np.arange(1, k + 1) / k
    t = np.asarray(information_rates, dtype=float)
    if t.ndim != 1 or t.size < 1:
        raise ValueError("information rates must be a non-empty list")
    if np.any(np.diff(t) <= 0) or t[0] <= 0:
        raise ValueError("information rates must be positive and strictly increasing")
    if not math.isclose(t[-1], 1.0, abs_tol=1e-9):
        raise ValueError("the last information rate must be 1")
    t = t.copy()
    t[-1] = 1.0
    return t


def _solve(fun: Any, lo: float = -_Z_MAX, hi: float = _Z_MAX) -> float:
    """Root of a monotone function on [lo, hi]; clamps to the end where there is no sign change."""
    f_lo, f_hi = fun(lo), fun(hi)
    if f_lo * f_hi > 0:
        return lo if abs(f_lo) < abs(f_hi) else hi
    return float(optimize.brentq(fun, lo, hi, xtol=1e-10, rtol=1e-12))


@dataclass(frozen=True)
class GroupSequentialDesign:
    """A computed group-sequential design (z scale, large z favours treatment)."""

    information_rates: NDArray[np.float64]
    upper: NDArray[np.float64]
    lower: NDArray[np.float64]  # -inf where there is no lower stop; -upper for two-sided designs
    alpha: float
    beta: float
    sided: int
    kind: str  # a spending family or a classical design
    spending: SpendingFunction | None
    futility: SpendingFunction | None = None
    binding: bool = False
    drift: float = field(default=float("nan"))
    r: int = DEFAULT_R

    # -- derived quantities ---------------------------------------------------------------
    @property
    def k(self) -> int:
        return int(self.information_rates.size)

    @property
    def has_futility(self) -> bool:
        return self.futility is not None

    @property
    def fixed_drift(self) -> float:
        """Expected z of the fixed-sample design with the same alpha and power."""
        a = self.alpha / self.sided
        return float(special.ndtri(1 - a) + special.ndtri(1 - self.beta))

    @property
    def inflation_factor(self) -> float:
        return (self.drift / self.fixed_drift) ** 2

    def probabilities(
        self, drift: float, *, ignore_futility: bool = False
    ) -> CrossingProbabilities:
        """Exit probabilities at each look when the expected z at full information is ``drift``."""
        lower = self.lower
        if ignore_futility and self.has_futility:
            lower = np.full(self.k, -np.inf)
        return crossing_probabilities(self.information_rates, self.upper, lower, drift, self.r)

    def cumulative_alpha(self) -> NDArray[np.float64]:
        """Cumulative type I error by look (two-sided designs: both sides together).

        For non-binding futility this is computed ignoring the futility bounds (the conservative
        regulatory convention); it equals the spending function at each look.
        """
        p = self.probabilities(0.0, ignore_futility=not self.binding)
        per_look = p.upper + (p.lower if self.sided == 2 else 0.0)
        return np.cumsum(per_look)

    def cumulative_beta(self) -> NDArray[np.float64]:
        """Cumulative probability of stopping for futility under the design alternative."""
        return np.cumsum(self.probabilities(self.drift).lower)

    def power(self, drift: float | None = None) -> float:
        """Probability of crossing the upper boundary (the rejection favouring treatment)."""
        d = self.drift if drift is None else drift
        return float(self.probabilities(d).upper.sum())

    def expected_information(self, drift: float) -> float:
        """Expected information at stopping as a fraction of the maximum."""
        p = self.probabilities(drift)
        stop = p.upper + p.lower
        stop[-1] = 1.0 - stop[:-1].sum()
        return float(stop @ self.information_rates)

    def nominal_p(self) -> NDArray[np.float64]:
        """Nominal p-value of each upper boundary (two-sided for two-sided designs)."""
        return self.sided * special.ndtr(-self.upper)

    def effect_scale(self, delta: float) -> NDArray[np.float64]:
        """Observed effect that crosses each upper bound, for a design powered at effect ``delta``.

        ``delta`` is on any scale that the z-statistic is linear in (a difference of proportions,
        a log hazard ratio, a mean difference): ``b_k / sqrt(I_k) = delta b_k / (drift sqrt(t_k))``.
        """
        return delta * self.upper / (self.drift * np.sqrt(self.information_rates))

    def max_sample_size(self, n_fixed: float) -> float:
        """Maximum sample size given the fixed-design sample size for the same alpha and power."""
        return n_fixed * self.inflation_factor

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready description (the ``design boundaries --json`` object)."""
        h0 = self.probabilities(0.0)
        h1 = self.probabilities(self.drift)
        out: dict[str, Any] = {
            "kind": self.kind,
            "spending": self.spending.describe() if self.spending else self.kind,
            "alpha": self.alpha,
            "beta": self.beta,
            "sided": self.sided,
            "information_rates": self.information_rates.tolist(),
            "upper": self.upper.tolist(),
            "nominal_p": self.nominal_p().tolist(),
            "cumulative_alpha": self.cumulative_alpha().tolist(),
            "inflation_factor": self.inflation_factor,
            "drift": self.drift,
            "power": self.power(),
            "exit_probability_h0": {"upper": h0.upper.tolist(), "lower": h0.lower.tolist()},
            "exit_probability_h1": {"upper": h1.upper.tolist(), "lower": h1.lower.tolist()},
            # expected sample size divided by the fixed design's, under H0 and under H1
            "expected_sample_size_ratio_h0": self.expected_information(0.0) * self.inflation_factor,
            "expected_sample_size_ratio_h1": self.expected_information(self.drift)
            * self.inflation_factor,
        }
        if self.has_futility:
            out["lower"] = self.lower.tolist()
            out["cumulative_beta"] = self.cumulative_beta().tolist()
            out["futility"] = self.futility.describe() if self.futility else None
            out["binding"] = self.binding
        return out

    # -- interim recomputation -------------------------------------------------------------
    def update(
        self, observed_information_rates: ArrayLike, *, final: bool = False
    ) -> GroupSequentialDesign:
        """Recompute boundaries when the observed information fractions differ from the plan.

        ``observed_information_rates`` are the fractions of the planned maximum information at the
        looks done so far (they may exceed 1). Looks still planned after the last observed one are
        kept; ``final=True`` (or an observed fraction >= 1) makes the last observed look the final
        analysis, which spends all the remaining alpha. The spending function is evaluated at the
        actual fractions, so earlier bounds are those that would have been computed at the time;
        the futility bounds keep the design's drift.
        """
        obs = np.asarray(observed_information_rates, dtype=float)
        if obs.size == 0 or np.any(np.diff(obs) <= 0) or obs[0] <= 0:
            raise ValueError("observed information rates must be positive and increasing")
        final = final or bool(obs[-1] >= 1.0)
        rest = self.information_rates[self.information_rates > obs[-1]]
        t = obs if final else np.concatenate([obs, rest])
        if self.kind in CLASSICAL:
            raise ValueError("classical designs have no spending function to re-apply")
        return _spending_design(
            t,
            alpha=self.alpha,
            beta=self.beta,
            sided=self.sided,
            spending=self.spending,
            futility=self.futility,
            binding=self.binding,
            r=self.r,
            fixed_drift=self.drift if self.has_futility else None,
            kind=self.kind,
        )


# -- construction ---------------------------------------------------------------------------


def _upper_bounds(
    t: NDArray, spend: NDArray, sided: int, lower: NDArray | None, r: int
) -> NDArray[np.float64]:
    """Solve look by look for upper bounds that spend ``spend`` (cumulative, per side) under H0.

    ``lower`` gives futility bounds to respect (binding designs); two-sided designs are symmetric.
    """
    k = t.size
    rec = Recursion(0.0, r)
    upper = np.empty(k)
    spent = 0.0
    for j in range(k):
        target = spend[j] - spent
        a_j = lower[j] if lower is not None else -np.inf

        def excess(b: float, j: int = j, target: float = target) -> float:
            return rec.tail_upper(t[j], b) - target

        if target <= 1e-15:
            upper[j] = _Z_MAX
        else:
            upper[j] = _solve(excess)
        spent += rec.tail_upper(t[j], upper[j])
        if j + 1 < k:
            lo = -upper[j] if sided == 2 else a_j
            rec.advance(t[j], lo, upper[j])
    return upper


def _futility_pass(
    t: NDArray,
    drift: float,
    alpha_spend: NDArray,
    beta_spend: NDArray,
    upper_fixed: NDArray | None,
    r: int,
) -> tuple[NDArray, NDArray, float]:
    """One pass of beta spending at a given drift; returns (upper, lower, total beta).

    Non-binding designs pass ``upper_fixed`` (computed without futility); binding designs solve
    for the upper bound under H0 given the futility bounds found so far, look by look.
    """
    k = t.size
    rec1 = Recursion(drift, r)
    rec0 = Recursion(0.0, r)
    upper = np.empty(k)
    lower = np.empty(k)
    a_spent = b_spent = 0.0
    for j in range(k):
        if upper_fixed is not None:
            upper[j] = upper_fixed[j]
        else:
            target = alpha_spend[j] - a_spent

            def excess(b: float, j: int = j, target: float = target) -> float:
                return rec0.tail_upper(t[j], b) - target

            upper[j] = _Z_MAX if target <= 1e-15 else _solve(excess)
            a_spent += rec0.tail_upper(t[j], upper[j])
        if j == k - 1:
            lower[j] = upper[j]
            b_spent += rec1.tail_lower(t[j], upper[j])
            break
        target_b = beta_spend[j] - b_spent

        def shortfall(a: float, j: int = j, target: float = target_b) -> float:
            return rec1.tail_lower(t[j], a) - target

        lower[j] = -_Z_MAX if target_b <= 1e-15 else _solve(shortfall)
        lower[j] = min(lower[j], upper[j])
        b_spent += rec1.tail_lower(t[j], lower[j])
        rec1.advance(t[j], lower[j], upper[j])
        if upper_fixed is None:
            rec0.advance(t[j], lower[j], upper[j])
    return upper, lower, b_spent


def _spending_design(
    t: NDArray,
    *,
    alpha: float,
    beta: float,
    sided: int,
    spending: SpendingFunction | None,
    futility: SpendingFunction | None,
    binding: bool,
    r: int,
    fixed_drift: float | None = None,
    kind: str,
) -> GroupSequentialDesign:
    if spending is None:
        raise ValueError("a spending design needs a spending function")
    alpha_spend = spending(t, alpha / sided)
    alpha_spend[-1] = alpha / sided
    base = GroupSequentialDesign(
        information_rates=t,
        upper=np.empty(t.size),
        lower=np.empty(t.size),
        alpha=alpha,
        beta=beta,
        sided=sided,
        kind=kind,
        spending=spending,
        futility=futility,
        binding=binding,
        r=r,
    )
    if futility is None:
        upper = _upper_bounds(t, alpha_spend, sided, None, r)
        lower = -upper if sided == 2 else np.full(t.size, -np.inf)
        design = replace(base, upper=upper, lower=lower)
        drift = _drift_for_power(design, 1 - beta)
        return replace(design, drift=drift)

    beta_spend = futility(t, beta)
    beta_spend[-1] = beta
    upper_nb = None if binding else _upper_bounds(t, alpha_spend, 1, None, r)

    if fixed_drift is not None:
        upper, lower, _ = _futility_pass(t, fixed_drift, alpha_spend, beta_spend, upper_nb, r)
        return replace(base, upper=upper, lower=lower, drift=fixed_drift)

    def gap(drift: float) -> float:
        # At the right drift, the beta left for the last look puts the futility bound exactly
        # on the efficacy bound: P(continue to K and Z_K < b_K) = beta - beta_spent.
        return _futility_pass(t, drift, alpha_spend, beta_spend, upper_nb, r)[2] - beta

    z_sum = float(special.ndtri(1 - alpha) + special.ndtri(1 - beta))
    # No group-sequential design needs less information than the fixed one (Neyman-Pearson), so
    # the inflation factor is at least 1; start with a bracket for factors up to 1.69.
    lo, hi = 0.999 * z_sum, 1.3 * z_sum
    if gap(lo) < 0:
        lo = 0.5 * z_sum
    while gap(hi) > 0:
        hi *= 1.5
    drift = float(optimize.brentq(gap, lo, hi, xtol=1e-9))
    upper, lower, _ = _futility_pass(t, drift, alpha_spend, beta_spend, upper_nb, r)
    return replace(base, upper=upper, lower=lower, drift=drift)


def _drift_for_power(design: GroupSequentialDesign, power: float) -> float:
    z_sum = design.fixed_drift

    def short(drift: float) -> float:
        return design.power(drift) - power

    # The inflation factor of any sensible design lies in [1, 2.25): start from that bracket.
    lo, hi = z_sum, 1.5 * z_sum
    if short(lo) > 0:
        lo = 0.5 * z_sum
    while short(hi) < 0:
        hi *= 1.5
    return float(optimize.brentq(short, lo, hi, xtol=1e-9))


def _classical_design(t: NDArray, *, alpha: float, beta: float, sided: int, kind: str, r: int):
    delta = CLASSICAL[kind]
    shape = t ** (delta - 0.5)

    def excess(c: float) -> float:
        upper = c * shape
        lower = -upper if sided == 2 else np.full(t.size, -np.inf)
        p = crossing_probabilities(t, upper, lower, 0.0, r)
        return float(p.upper.sum() + p.lower.sum()) - alpha

    # The final bound is c (t_K = 1), so c lies between the fixed-sample critical value and the
    # Bonferroni bound over K looks.
    z_fixed = float(special.ndtri(1 - alpha / sided))
    z_bonf = float(special.ndtri(1 - alpha / (sided * t.size)))
    lo, hi = 0.999 * z_fixed, 1.001 * z_bonf
    if excess(lo) < 0:
        lo = 0.5
    if excess(hi) > 0:
        hi = 10.0
    c = float(optimize.brentq(excess, lo, hi, xtol=1e-10))
    upper = c * shape
    lower = -upper if sided == 2 else np.full(t.size, -np.inf)
    design = GroupSequentialDesign(
        information_rates=t,
        upper=upper,
        lower=lower,
        alpha=alpha,
        beta=beta,
        sided=sided,
        kind=kind,
        spending=None,
        r=r,
    )
    return replace(design, drift=_drift_for_power(design, 1 - beta))


def group_sequential_design(
    k: int = 3,
    *,
    alpha: float = 0.025,
    beta: float = 0.2,
    sided: int = 1,
    spending: str = "obf",
    gamma: float = -4.0,
    rho: float = 3.0,
    information_rates: ArrayLike | None = None,
    futility: str | None = None,
    futility_gamma: float = -2.0,
    futility_rho: float = 2.0,
    binding: bool = False,
    r: int = DEFAULT_R,
) -> GroupSequentialDesign:
    """Compute a group-sequential design.

    ``spending`` is a spending family (``obf``, ``pocock``, ``hsd`` with ``gamma``, ``kd`` with
    ``rho``) or ``classical-pocock`` / ``classical-obf``. ``futility`` names a beta-spending family
    (one-sided designs only). ``alpha`` is the total (two-sided designs: both sides together).
    """
    if sided not in (1, 2):
        raise ValueError("sided must be 1 or 2")
    if not 0 < alpha < 1 or not 0 < beta < 1:
        raise ValueError("alpha and beta must lie in (0, 1)")
    t = _rates(k, information_rates)
    if information_rates is not None and k not in (t.size, 0):
        raise ValueError(f"{t.size} information rates given for {k} looks")
    if spending in CLASSICAL:
        if futility:
            raise ValueError("futility bounds need a spending design, not a classical one")
        return _classical_design(t, alpha=alpha, beta=beta, sided=sided, kind=spending, r=r)
    if futility and sided != 1:
        raise ValueError("futility (beta-spending) bounds are for one-sided designs")
    alpha_fn = SpendingFunction(spending, gamma=gamma, rho=rho)
    beta_fn = (
        SpendingFunction(futility, gamma=futility_gamma, rho=futility_rho) if futility else None
    )
    return _spending_design(
        t,
        alpha=alpha,
        beta=beta,
        sided=sided,
        spending=alpha_fn,
        futility=beta_fn,
        binding=binding,
        r=r,
        kind=spending,
    )
