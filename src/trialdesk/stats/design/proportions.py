"""Sample size and power for comparing two proportions.

- Normal approximation, Fleiss, Levin and Paik (2003), *Statistical Methods for Rates and
  Proportions*, 3rd ed., eq. 4.14 (pooled variance under H0, unpooled under H1) and the continuity
  correction of eq. 4.19 (Casagrande, Pike and Smith 1978). Without the correction this is also
  what R's ``power.prop.test`` solves (one tail, ``strict = FALSE``).
- Fisher's exact test: power by exact enumeration of all ``(x_control, x_treatment)`` outcomes,
  with the two-sided p-value of R's ``fisher.test`` (sum of the conditional probabilities not
  larger than the observed one, relative tolerance 1e-7).

``ratio`` is ``n_treatment / n_control``. "Sided 2" tests count rejections in both directions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats


def _check(p_control: float, p_treatment: float, alpha: float, sided: int) -> None:
    for name, p in (("p_control", p_control), ("p_treatment", p_treatment)):
        if not 0 < p < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1")
    if p_control == p_treatment:
        raise ValueError("p_control and p_treatment must differ")
    if sided not in (1, 2):
        raise ValueError("sided must be 1 or 2")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")


def inflate_for_dropout(n: float, dropout: float) -> float:
    """Return ``n / (1 - dropout)``: enrol enough that ``n`` remain evaluable."""
    if not 0 <= dropout < 1:
        raise ValueError("dropout must lie in [0, 1)")
    return n / (1.0 - dropout)


@dataclass(frozen=True)
class SampleSize:
    """Per-arm and total sample size (control arm first when allocation is unequal)."""

    n_per_arm_exact: float  # control arm, fixed design: before inflation, dropout and rounding
    n_treatment_exact: float
    n_per_arm_unrounded: float  # control arm after group-sequential and dropout inflation
    n_per_arm: int  # control arm, after group-sequential and dropout inflation, rounded up
    n_treatment: int
    n_total: int
    method: str
    inflation_factor: float = 1.0
    dropout: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finish(
    n_c: float, ratio: float, dropout: float, inflation_factor: float, method: str
) -> SampleSize:
    n_c_gs = n_c * inflation_factor
    enrol_c = inflate_for_dropout(n_c_gs, dropout)
    enrol_t = inflate_for_dropout(n_c_gs * ratio, dropout)
    # Guard against 83.0000000001 rounding up to 84.
    up_c = math.ceil(enrol_c - 1e-9)
    up_t = math.ceil(enrol_t - 1e-9)
    return SampleSize(
        n_per_arm_exact=float(n_c),
        n_treatment_exact=float(n_c * ratio),
        n_per_arm_unrounded=float(enrol_c),
        n_per_arm=up_c,
        n_treatment=up_t,
        n_total=up_c + up_t,
        method=method,
        inflation_factor=inflation_factor,
        dropout=dropout,
    )


def proportions_sample_size(
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sided: int = 2,
    continuity_correction: bool = False,
    ratio: float = 1.0,
    dropout: float = 0.0,
    inflation_factor: float = 1.0,
) -> SampleSize:
    """Sample size by the normal approximation (Fleiss eq. 4.14, with CC eq. 4.19)."""
    _check(p_control, p_treatment, alpha, sided)
    z_a = special.ndtri(1 - alpha / sided)
    z_b = special.ndtri(power)
    diff = abs(p_control - p_treatment)
    p_bar = (p_control + ratio * p_treatment) / (1 + ratio)
    n = (
        z_a * math.sqrt((1 + 1 / ratio) * p_bar * (1 - p_bar))
        + z_b * math.sqrt(p_control * (1 - p_control) + p_treatment * (1 - p_treatment) / ratio)
    ) ** 2 / diff**2
    method = "normal approximation (Fleiss 4.14)"
    if continuity_correction:
        n = n / 4 * (1 + math.sqrt(1 + 2 * (ratio + 1) / (n * ratio * diff))) ** 2
        method = "normal approximation with continuity correction (Fleiss 4.19)"
    return _finish(n, ratio, dropout, inflation_factor, method)


def proportions_power(
    n_control: float,
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    sided: int = 2,
    continuity_correction: bool = False,
    ratio: float = 1.0,
) -> float:
    """Power by the normal approximation; the exact inverse of :func:`proportions_sample_size`."""
    _check(p_control, p_treatment, alpha, sided)
    diff = abs(p_control - p_treatment)
    n = float(n_control)
    if continuity_correction:
        c = (ratio + 1) / (ratio * diff)
        if n <= c / 2:
            return 0.0
        n = n * (1 - c / (2 * n)) ** 2
    p_bar = (p_control + ratio * p_treatment) / (1 + ratio)
    z_a = special.ndtri(1 - alpha / sided)
    num = diff * math.sqrt(n) - z_a * math.sqrt((1 + 1 / ratio) * p_bar * (1 - p_bar))
    den = math.sqrt(p_control * (1 - p_control) + p_treatment * (1 - p_treatment) / ratio)
    return float(special.ndtr(num / den))


def fisher_rejection_region(
    n_control: int, n_treatment: int, *, alpha: float = 0.05, sided: int = 2, benefit: str = "lower"
) -> NDArray[np.bool_]:
    """Boolean matrix ``R[x_control, x_treatment]``: does Fisher's exact test reject?

    One-sided tests reject for a treatment benefit: a lower event proportion in the treatment arm
    when ``benefit == "lower"`` (e.g. mortality), a higher one when ``"higher"``.
    """
    if benefit not in ("lower", "higher"):
        raise ValueError("benefit must be 'lower' or 'higher'")
    n_c, n_t = int(n_control), int(n_treatment)
    reject = np.zeros((n_c + 1, n_t + 1), dtype=bool)
    log_c = (
        special.gammaln(n_c + 1)
        - special.gammaln(np.arange(n_c + 1) + 1)
        - special.gammaln(n_c - np.arange(n_c + 1) + 1)
    )
    log_t = (
        special.gammaln(n_t + 1)
        - special.gammaln(np.arange(n_t + 1) + 1)
        - special.gammaln(n_t - np.arange(n_t + 1) + 1)
    )
    for s in range(n_c + n_t + 1):
        x_t = np.arange(max(0, s - n_c), min(s, n_t) + 1)
        x_c = s - x_t
        logp = log_t[x_t] + log_c[x_c]
        pmf = np.exp(logp - logp.max())
        pmf /= pmf.sum()
        if sided == 1:
            # P(X_t <= x_t | s) for a benefit that lowers the treatment arm's count.
            tail = np.cumsum(pmf) if benefit == "lower" else np.cumsum(pmf[::-1])[::-1]
            rej = tail <= alpha * (1 + 1e-7)
        else:
            # p = sum of the outcomes no more likely than the observed one (ties within 1e-7
            # count, as in R's fisher.test).
            sorted_p = np.sort(pmf)
            last = np.searchsorted(sorted_p, pmf * (1 + 1e-7), side="right") - 1
            rej = np.cumsum(sorted_p)[last] <= alpha * (1 + 1e-7)
        reject[x_c, x_t] = rej
    return reject


def exact_power(reject: NDArray[np.bool_], p_control: float, p_treatment: float) -> float:
    """Probability of the rejection region ``reject[x_control, x_treatment]``, enumerated."""
    n_c, n_t = reject.shape[0] - 1, reject.shape[1] - 1
    b_c = stats.binom.pmf(np.arange(n_c + 1), n_c, p_control)
    b_t = stats.binom.pmf(np.arange(n_t + 1), n_t, p_treatment)
    return float(b_c @ reject.astype(float) @ b_t)


def fisher_power(
    n_control: int,
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    sided: int = 2,
    ratio: float = 1.0,
    benefit: str | None = None,
) -> float:
    """Exact power of Fisher's exact test by enumeration of all outcomes."""
    n_t = round(n_control * ratio)
    if benefit is None:
        benefit = "lower" if p_treatment < p_control else "higher"
    reject = fisher_rejection_region(n_control, n_t, alpha=alpha, sided=sided, benefit=benefit)
    return exact_power(reject, p_control, p_treatment)


def fisher_sample_size(
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sided: int = 2,
    dropout: float = 0.0,
    max_n: int = 2000,
) -> SampleSize:
    """Smallest per-arm n (1:1) at which Fisher's exact test reaches ``power``.

    Exact power is not monotone in n (it saw-tooths); the smallest n reaching the target is
    reported, searching upward from the continuity-corrected normal approximation minus a margin.
    """
    _check(p_control, p_treatment, alpha, sided)
    guess = proportions_sample_size(
        p_control, p_treatment, alpha=alpha, power=power, sided=sided, continuity_correction=True
    ).n_per_arm_exact
    n = max(2, int(guess * 0.8))
    while fisher_power(n, p_control, p_treatment, alpha=alpha, sided=sided) >= power and n > 2:
        n = max(2, int(n * 0.8))
    while n <= max_n:
        if fisher_power(n, p_control, p_treatment, alpha=alpha, sided=sided) >= power:
            return _finish(float(n), 1.0, dropout, 1.0, "Fisher's exact test, exact enumeration")
        n += 1
    raise ValueError(f"Fisher's exact test does not reach power {power} with n <= {max_n} per arm")
