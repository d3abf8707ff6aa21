"""Sample-size re-estimation for inverse-normal designs, and its operating characteristics.

At each interim the size of the next stage is chosen to give conditional power ``target`` *of
rejecting at that stage* (rpact's convention for ``getSimulationMeans/Rates`` with
``conditionalPower``), under the observed effect or a fixed one, and bounded by ``n_min`` and
``n_max``. Because the final test is the inverse-normal combination with the prespecified weights,
the type I error stays at alpha whatever the rule (Lehmacher and Wassmer 1999).

The **promising zone** rule (Mehta and Pocock 2011) changes the size only when the conditional
power under the observed effect *at the planned size* lies in ``[cp_low, cp_high)``; then the
stage grows (never shrinks) to reach ``target``, capped at ``n_max``. :func:`cp_min_conventional`
gives Mehta and Pocock's lower edge above which even the conventional (unweighted) final z-test
keeps alpha with a two-stage design.

Operating characteristics: :func:`oc_integration` (two stages: one adaptive quadrature over the
interim z, with the zone edges as break points) and :func:`oc_simulation` (two or three stages,
seeded and vectorized over trials, drawing the stage-wise z-statistics from their normal law).
Both see the test only through :class:`StageSteps`, so :mod:`.ssr_fisher` runs them for Fisher's
combination test too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special

from .combination import InverseNormalDesign


@dataclass(frozen=True)
class SampleSizeRule:
    """How the next stage's size is re-estimated; sizes count both arms."""

    n_planned: tuple[float, ...]  # new patients per stage as planned
    target: float = 0.8
    n_min: float | None = None  # smallest re-estimated stage; default: as planned
    n_max: float | None = None  # cap on a re-estimated stage; default: as planned (no SSR)
    theta: float | None = None  # fixed effect; None: the effect observed so far
    promising: tuple[float, float] | None = None  # (cp_low, cp_high) of Mehta and Pocock

    def __post_init__(self) -> None:
        if any(n <= 0 for n in self.n_planned):
            raise ValueError("planned stage sizes must be positive")
        if not 0 < self.target < 1:
            raise ValueError("target conditional power must lie in (0, 1)")
        if self.promising is not None:
            lo, hi = self.promising
            if not 0 <= lo < hi <= 1:
                raise ValueError("the promising zone needs 0 <= cp_low < cp_high <= 1")
        if self.n_min is not None and self.n_max is not None and self.n_min > self.n_max:
            raise ValueError("n_min exceeds n_max")


def _stage_bounds(design: InverseNormalDesign) -> tuple[NDArray, NDArray]:
    """Weights and bounds on the weighted-sum scale: reject at k when sum w_i z_i >= b_k."""
    w = design.weights
    cum = np.sqrt(np.cumsum(w * w))
    return w, design.critical_values * cum


def next_sizes(
    design: InverseNormalDesign,
    rule: SampleSizeRule,
    k: int,
    weighted_sum: NDArray[np.float64],
    theta_hat: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Vectorized: the size of stage ``k + 1`` (0-based ``k``) for trials continuing after ``k``.

    ``weighted_sum`` is ``sum_{i<=k} w_i z_i`` and ``theta_hat`` the observed effect.
    """
    return sizes_for_gap(rule, k, _InverseNormalSteps(design).gap(k, weighted_sum), theta_hat)


def sizes_for_gap(
    rule: SampleSizeRule, k: int, gap: NDArray[np.float64], theta_hat: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Vectorized: the size of stage ``k + 1`` when that stage rejects for a stage-wise z above
    ``gap``, whatever the combination test that produced ``gap``."""
    planned = rule.n_planned[k + 1]
    n_lo = planned if rule.n_min is None else rule.n_min
    n_hi = planned if rule.n_max is None else rule.n_max
    theta = theta_hat if rule.theta is None else np.full_like(theta_hat, rule.theta)
    # Conditional power target needs theta sqrt(n) = gap + z_target.
    need = gap + float(special.ndtri(rule.target))
    with np.errstate(divide="ignore", invalid="ignore"):
        n_target = np.where(need <= 0, 0.0, np.where(theta > 0, (need / theta) ** 2, np.inf))
    if rule.promising is None:
        return np.clip(n_target, n_lo, n_hi)
    cp_planned = special.ndtr(theta_hat * math.sqrt(planned) - gap)
    lo, hi = rule.promising
    zone = (cp_planned >= lo) & (cp_planned < hi)
    grown = np.clip(n_target, planned, max(n_hi, planned))
    return np.where(zone, grown, planned)


def next_size(
    design: InverseNormalDesign, rule: SampleSizeRule, stage_z: ArrayLike
) -> float:
    """The re-estimated size of the next stage after the stage-wise z-statistics ``stage_z``."""
    z = np.asarray(stage_z, dtype=float)
    k = interim_stage(design.k, z.size)
    s = np.array([np.sum(design.weights[: k + 1] * z)])
    return float(next_sizes(design, rule, k, s, observed_effect(rule, z))[0])


def interim_stage(k_max: int, stages_seen: int) -> int:
    """The 0-based stage after which the next one is re-sized; only interims qualify."""
    k = stages_seen - 1
    if not 0 <= k < k_max - 1:
        raise ValueError("re-estimation happens at an interim (before the last stage)")
    return k


def observed_effect(rule: SampleSizeRule, stage_z: NDArray[np.float64]) -> NDArray[np.float64]:
    """The effect observed in the stages so far at their planned sizes, as a one-element array."""
    n = np.asarray(rule.n_planned[: stage_z.size], dtype=float)
    return np.array([np.sum(np.sqrt(n) * stage_z) / np.sum(n)])


def cp_min_conventional(alpha: float, n1: float, n2: float, n_max: float) -> float:
    """Mehta and Pocock (2011): the smallest interim conditional power (observed effect, planned
    total ``n2``) from which raising the total up to ``n_max`` keeps the conventional z-test's
    conditional type I error at or below that of the weighted (CHW) test.

    Two-stage design without an early efficacy stop; ``n1`` patients at the interim.
    """
    za = float(special.ndtri(1 - alpha))

    def margin(z1: float) -> float:
        conventional = (za * math.sqrt(n_max) - math.sqrt(n1) * z1) / math.sqrt(n_max - n1)
        weighted = (za * math.sqrt(n2) - math.sqrt(n1) * z1) / math.sqrt(n2 - n1)
        return conventional - weighted

    z1 = float(optimize.brentq(margin, -10.0, 10.0, xtol=1e-13))
    t = n1 / n2
    theta_sqrt_n2 = z1 / math.sqrt(t)
    return float(special.ndtr(-((za - math.sqrt(t) * z1) / math.sqrt(1 - t)
                                - theta_sqrt_n2 * math.sqrt(1 - t))))


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Rejection probability per stage, futility stops, expected sample size."""

    reject: NDArray[np.float64]
    futility: NDArray[np.float64]
    expected_n: float
    p_increase: float  # probability that a re-estimated stage exceeds its planned size
    se: NDArray[np.float64] | None = None  # simulation: standard error of each `reject`

    @property
    def power(self) -> float:
        return float(self.reject.sum())

    def summary(self) -> dict[str, Any]:
        out = {
            "power": self.power,
            "reject_per_stage": self.reject.tolist(),
            "futility_per_stage": self.futility.tolist(),
            "expected_n": self.expected_n,
            "p_increase": self.p_increase,
        }
        if self.se is not None:
            out["se_reject_per_stage"] = self.se.tolist()
        return out


class StageSteps(Protocol):
    """A combination test followed stage by stage through its running statistic, vectorized over
    trials; what the operating characteristics need of it, whichever test it is."""

    def combine(self, k: int, stat: NDArray[np.float64], z: NDArray[np.float64]
                ) -> NDArray[np.float64]:
        """The statistic after adding stage ``k``'s z-statistics ``z``."""
        ...

    def rejects(self, k: int, stat: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Where the statistic after stage ``k`` rejects."""
        ...

    def futile(self, k: int, stat: NDArray[np.float64], z: NDArray[np.float64]
               ) -> NDArray[np.bool_]:
        """Where stage ``k`` (an interim) stops for futility."""
        ...

    def gap(self, k: int, stat: NDArray[np.float64]) -> NDArray[np.float64]:
        """The z above which stage ``k + 1`` rejects, after stage ``k``'s statistic ``stat``."""
        ...


@dataclass(frozen=True)
class _InverseNormalSteps:
    """The inverse-normal test on the weighted-sum scale ``sum w_i z_i``."""

    design: InverseNormalDesign

    def combine(self, k: int, stat: NDArray[np.float64], z: NDArray[np.float64]
                ) -> NDArray[np.float64]:
        return stat + self.design.weights[k] * z

    def rejects(self, k: int, stat: NDArray[np.float64]) -> NDArray[np.bool_]:
        return stat >= _stage_bounds(self.design)[1][k]

    def futile(self, k: int, stat: NDArray[np.float64], z: NDArray[np.float64]
               ) -> NDArray[np.bool_]:
        w = self.design.weights
        return stat <= self.design.futility_bounds[k] * math.sqrt(np.sum(w[: k + 1] ** 2))

    def gap(self, k: int, stat: NDArray[np.float64]) -> NDArray[np.float64]:
        w, b = _stage_bounds(self.design)
        return (b[k + 1] - stat) / w[k + 1]


def oc_integration(
    design: InverseNormalDesign, rule: SampleSizeRule, theta: float
) -> OperatingCharacteristics:
    """Operating characteristics of a two-stage design with re-estimation, by quadrature."""
    if design.k != 2:
        raise ValueError("numerical integration is implemented for two-stage designs")
    return oc_integration_two_stage(
        _InverseNormalSteps(design), rule, theta,
        z_reject=float(design.critical_values[0]), z_futile=float(design.futility_bounds[0]),
    )


def oc_integration_two_stage(
    steps: StageSteps, rule: SampleSizeRule, theta: float, *, z_reject: float, z_futile: float
) -> OperatingCharacteristics:
    """Operating characteristics of a two-stage test with re-estimation: one adaptive quadrature
    over the first-stage z between its futility and efficacy bounds ``z_futile`` and
    ``z_reject``, with the rule's change points as breaks."""
    n1, n2_plan = rule.n_planned[0], rule.n_planned[1]
    m1 = theta * math.sqrt(n1)
    lo = max(z_futile, m1 - 12.0)
    hi = min(z_reject, m1 + 12.0)

    def second_stage(z1: NDArray[np.float64]
                     ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """For first-stage z values: the second stage's size, its gap, and the observed effect."""
        theta_hat = z1 / math.sqrt(n1)
        gap = steps.gap(0, steps.combine(0, np.zeros_like(z1), z1))
        return sizes_for_gap(rule, 0, gap, theta_hat), gap, theta_hat

    def at(z1: float) -> tuple[float, float]:
        n2, gap, _ = second_stage(np.array([z1]))
        return float(n2[0]), float(gap[0])

    def dens(z1: float) -> float:
        return math.exp(-0.5 * (z1 - m1) ** 2) / math.sqrt(2 * math.pi)

    def reject2(z1: float) -> float:
        n2, gap = at(z1)
        return dens(z1) * float(special.ndtr(theta * math.sqrt(n2) - gap))

    def size2(z1: float) -> float:
        return dens(z1) * at(z1)[0]

    def increased(z1: float) -> float:
        return dens(z1) * float(at(z1)[0] > n2_plan * (1 + 1e-12))

    if hi > lo:
        # Jumps (promising-zone edges) and kinks (the cap and the floor) as quadrature breaks.
        points = change_points(lambda z1: _regime(rule, *second_stage(z1)), lo, hi)
        quad = {"epsabs": 1e-12, "epsrel": 1e-10, "limit": 400, "points": points or None}
        r2 = integrate.quad(reject2, lo, hi, **quad)[0]
        en2 = integrate.quad(size2, lo, hi, **quad)[0]
        pinc = integrate.quad(increased, lo, hi, **quad)[0]
    else:
        r2 = en2 = pinc = 0.0
    r1 = float(special.ndtr(m1 - z_reject))
    f1 = float(special.ndtr(z_futile - m1)) if np.isfinite(z_futile) else 0.0
    return OperatingCharacteristics(
        reject=np.array([r1, r2]),
        futility=np.array([f1, 0.0]),
        expected_n=n1 + en2,
        p_increase=pinc,
    )


def _regime(
    rule: SampleSizeRule,
    n: NDArray[np.float64],
    gap: NDArray[np.float64],
    theta_hat: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Which piece of the re-estimation rule gave the second stage's sizes ``n`` (a small integer
    code), from the sizes, their gaps and the observed effects."""
    planned = rule.n_planned[1]
    n_lo = planned if rule.n_min is None else rule.n_min
    n_hi = planned if rule.n_max is None else rule.n_max
    code = (n <= n_lo * (1 + 1e-12)).astype(np.int64) + 2 * (n >= n_hi * (1 - 1e-12))
    if rule.promising is not None:
        cp = special.ndtr(theta_hat * math.sqrt(planned) - gap)
        code += 4 * (cp >= rule.promising[0]) + 8 * (cp >= rule.promising[1])
    return code


def change_points(
    regime: Callable[[NDArray[np.float64]], NDArray[np.int64]], lo: float, hi: float
) -> list[float]:
    """Where the integer code ``regime(z)`` changes on ``(lo, hi)``: found on a grid and refined
    by bisection."""
    grid = np.linspace(lo, hi, 2001)
    code = regime(grid)
    edges: list[float] = []
    for i in np.nonzero(np.diff(code))[0]:
        a, c = float(grid[i]), float(grid[i + 1])
        left = code[i]
        for _ in range(60):
            mid = 0.5 * (a + c)
            if regime(np.array([mid]))[0] == left:
                a = mid
            else:
                c = mid
        edges.append(0.5 * (a + c))
    return edges


def oc_simulation(
    design: InverseNormalDesign,
    rule: SampleSizeRule,
    theta: float,
    *,
    sims: int = 100_000,
    seed: int = 2011,
) -> OperatingCharacteristics:
    """Operating characteristics by simulation (two or three stages), seeded and vectorized."""
    return oc_simulation_stages(_InverseNormalSteps(design), design.k, rule, theta,
                                sims=sims, seed=seed)


def oc_simulation_stages(
    steps: StageSteps,
    k_max: int,
    rule: SampleSizeRule,
    theta: float,
    *,
    sims: int,
    seed: int,
) -> OperatingCharacteristics:
    """Operating characteristics of a ``k_max``-stage test with re-estimation by simulation, seeded
    and vectorized over trials; at each stage efficacy is checked before futility."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((sims, k_max))
    running = np.ones(sims, dtype=bool)
    stat = np.zeros(sims)
    info_sum = np.zeros(sims)  # sum sqrt(n_i) z_i, for the observed effect
    n_sum = np.zeros(sims)
    n_stage = np.full(sims, float(rule.n_planned[0]))
    reject = np.zeros(k_max)
    futility = np.zeros(k_max)
    total_n = np.zeros(sims)
    increased = np.zeros(sims, dtype=bool)
    for k in range(k_max):
        z = theta * np.sqrt(n_stage) + e[:, k]
        total_n += np.where(running, n_stage, 0.0)
        stat = steps.combine(k, stat, z)
        info_sum += np.sqrt(n_stage) * z
        n_sum += n_stage
        rej = running & steps.rejects(k, stat)
        reject[k] = rej.mean()
        running &= ~rej
        if k == k_max - 1:
            break
        fut = running & steps.futile(k, stat, z)
        futility[k] = fut.mean()
        running &= ~fut
        n_next = sizes_for_gap(rule, k, steps.gap(k, stat), info_sum / n_sum)
        increased |= running & (n_next > rule.n_planned[k + 1] * (1 + 1e-12))
        n_stage = n_next
    se = np.sqrt(reject * (1 - reject) / sims)
    return OperatingCharacteristics(
        reject=reject,
        futility=futility,
        expected_n=float(total_n.mean()),
        p_increase=float(increased.mean()),
        se=se,
    )
