"""Sample size for time-to-event endpoints under proportional hazards.

- Events: Schoenfeld (1983), Biometrics 39:499-503: ``d = (z_a + z_b)^2 / (p (1 - p) log(HR)^2)``
  with ``p`` the fraction allocated to treatment; Freedman (1982), Stat Med 1:121-129:
  ``d = (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2`` for 1:1 allocation.
- Participants: Schoenfeld's approach — the required events divided by the probability that a
  participant has an event by the end of the study, averaged over the arms. Survival is
  exponential, entry uniform over the accrual period ``A``, and follow-up continues ``F`` after the
  last entry, so a participant is followed between ``F`` and ``A + F``; an exponential dropout
  hazard competes with the event. Schoenfeld approximated the average with Simpson's rule
  ``1 - (S(F) + 4 S(F + A/2) + S(A + F)) / 6``; the exponential integral here is exact
  (``simpson=True`` gives Schoenfeld's published approximation).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy import special

from .proportions import inflate_for_dropout


def _z(alpha: float, power: float, sided: int) -> float:
    if sided not in (1, 2):
        raise ValueError("sided must be 1 or 2")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie in (0, 1)")
    return float(special.ndtri(1 - alpha / sided) + special.ndtri(power))


def schoenfeld_events(
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sided: int = 2,
    allocation: float = 0.5,
) -> float:
    """Required number of events (unrounded), Schoenfeld (1983)."""
    if not hazard_ratio > 0 or hazard_ratio == 1:
        raise ValueError("hazard ratio must be positive and not 1")
    if not 0 < allocation < 1:
        raise ValueError("allocation (fraction on treatment) must lie in (0, 1)")
    return _z(alpha, power, sided) ** 2 / (
        allocation * (1 - allocation) * math.log(hazard_ratio) ** 2
    )


def freedman_events(
    hazard_ratio: float, *, alpha: float = 0.05, power: float = 0.8, sided: int = 2
) -> float:
    """Required number of events (unrounded), Freedman (1982), 1:1 allocation."""
    if not hazard_ratio > 0 or hazard_ratio == 1:
        raise ValueError("hazard ratio must be positive and not 1")
    return _z(alpha, power, sided) ** 2 * (1 + hazard_ratio) ** 2 / (1 - hazard_ratio) ** 2


def event_probability(
    hazard: float,
    accrual_time: float,
    follow_up: float,
    *,
    dropout_hazard: float = 0.0,
    simpson: bool = False,
) -> float:
    """Probability of an observed event, uniform entry over ``accrual_time`` then ``follow_up``."""
    if hazard <= 0 or accrual_time < 0 or follow_up < 0 or dropout_hazard < 0:
        raise ValueError("hazard must be > 0; times and dropout hazard must be >= 0")
    total = hazard + dropout_hazard
    share = hazard / total
    if simpson:

        def surv(u: float) -> float:
            return math.exp(-total * u)

        a, f = accrual_time, follow_up
        return share * (1 - (surv(f) + 4 * surv(f + a / 2) + surv(f + a)) / 6)
    if accrual_time == 0:
        return share * -math.expm1(-total * follow_up)
    # mean over follow-up u ~ U(F, A + F) of 1 - exp(-total u)
    mean_surv = (math.exp(-total * follow_up) * -math.expm1(-total * accrual_time)) / (
        total * accrual_time
    )
    return share * (1 - mean_surv)


@dataclass(frozen=True)
class SurvivalSampleSize:
    events_exact: float
    events: int
    event_probability: float | None
    n_total_exact: float | None
    n_total: int | None
    method: str
    dropout: float = 0.0
    inflation_factor: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def survival_sample_size(
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    sided: int = 2,
    allocation: float = 0.5,
    method: str = "schoenfeld",
    median_control: float | None = None,
    accrual_time: float | None = None,
    follow_up: float | None = None,
    dropout_hazard: float = 0.0,
    dropout: float = 0.0,
    inflation_factor: float = 1.0,
    simpson: bool = False,
) -> SurvivalSampleSize:
    """Events and, given the control median and the accrual and follow-up times, participants.

    ``dropout`` inflates the participant count by ``1 / (1 - dropout)`` (on top of any dropout
    hazard); ``inflation_factor`` (a group-sequential design's) multiplies the events.
    """
    if method == "schoenfeld":
        d = schoenfeld_events(
            hazard_ratio, alpha=alpha, power=power, sided=sided, allocation=allocation
        )
        label = "Schoenfeld (1983) events"
    elif method == "freedman":
        if allocation != 0.5:
            raise ValueError("Freedman's formula here is for 1:1 allocation")
        d = freedman_events(hazard_ratio, alpha=alpha, power=power, sided=sided)
        label = "Freedman (1982) events"
    else:
        raise ValueError("method must be 'schoenfeld' or 'freedman'")
    d *= inflation_factor
    events = math.ceil(d - 1e-9)
    if median_control is None or accrual_time is None or follow_up is None:
        return SurvivalSampleSize(d, events, None, None, None, label, dropout, inflation_factor)
    lam_c = math.log(2) / median_control
    lam_t = lam_c * hazard_ratio
    prob = (1 - allocation) * event_probability(
        lam_c, accrual_time, follow_up, dropout_hazard=dropout_hazard, simpson=simpson
    ) + allocation * event_probability(
        lam_t, accrual_time, follow_up, dropout_hazard=dropout_hazard, simpson=simpson
    )
    n = inflate_for_dropout(events / prob, dropout)
    label += "; participants = events / P(event), exponential survival, uniform accrual"
    return SurvivalSampleSize(
        d, events, prob, n, math.ceil(n - 1e-9), label, dropout, inflation_factor
    )
