"""Incidence of an adverse event by arm, and the difference between arms, with their intervals.

The DSMB's closed report (issue 15) gives, for each arm, the proportion of participants with an
event and its **exact Clopper-Pearson** interval (Clopper and Pearson 1934, Biometrika 26:404-413),
and the difference between arms with **Newcombe's hybrid score** interval (Newcombe 1998, Stat Med
17:873-890, method 10).

Why these two: safety counts are small (40 participants; often 0 or 1 event per arm), where the
Wald interval collapses to a point or leaves [0, 1]. Clopper-Pearson never undercovers, which a
safety board wants for "how high could the rate be"; Newcombe's method 10 keeps near-nominal
coverage for differences with zero cells (Newcombe 1998, Table II and the coverage study).

No arithmetic is written here: the Clopper-Pearson limits come from statsmodels
(``proportion_confint(method="beta")``), the Newcombe interval from
:func:`trialdesk.stats.analysis.intervals.newcombe_difference`, which the analysis commands use.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from statsmodels.stats.proportion import proportion_confint

from trialdesk.stats.analysis.intervals import NEWCOMBE, newcombe_difference

CLOPPER_PEARSON = "exact Clopper-Pearson interval (Clopper and Pearson 1934)"


@dataclass(frozen=True)
class Incidence:
    """``events`` of ``n`` participants, the proportion and its two-sided interval."""

    events: int
    n: int
    proportion: float
    lower: float
    upper: float
    level: float
    method: str = CLOPPER_PEARSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "n": self.n,
            "proportion": self.proportion,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "method": self.method,
        }


@dataclass(frozen=True)
class RiskDifference:
    """p_a - p_b (``events_a / n_a - events_b / n_b``) with its two-sided interval."""

    events_a: int
    n_a: int
    events_b: int
    n_b: int
    difference: float
    lower: float
    upper: float
    level: float
    method: str = NEWCOMBE

    def to_dict(self) -> dict[str, Any]:
        return {
            "events_a": self.events_a,
            "n_a": self.n_a,
            "events_b": self.events_b,
            "n_b": self.n_b,
            "difference": self.difference,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "method": self.method,
        }


def _count(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    return int(value)


def _counts(events: Any, n: Any, events_name: str, n_name: str) -> tuple[int, int]:
    # n = 0 (an arm nobody has entered yet) has no proportion: refused rather than shown as 0
    n = _count(n, n_name, minimum=1)
    events = _count(events, events_name, minimum=0)
    if events > n:
        raise ValueError(f"{events_name}: {events} events cannot exceed {n_name} = {n}")
    return events, n


def _level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real):
        raise ValueError(f"level: expected a number, got {level!r}")
    if not (math.isfinite(level) and 0 < level < 1):
        raise ValueError(f"level: must lie strictly between 0 and 1 (e.g. 0.95), got {level}")
    return float(level)


def incidence(events: int, n: int, level: float = 0.95) -> Incidence:
    """The proportion ``events / n`` with its exact Clopper-Pearson interval (statsmodels)."""
    events, n = _counts(events, n, "events", "n")
    level = _level(level)
    lower, upper = proportion_confint(events, n, alpha=1 - level, method="beta")
    p = events / n
    # exact limits by definition: 0 with no events, 1 with all; no rounding outside [0, 1]
    lower = 0.0 if events == 0 else min(max(float(lower), 0.0), p)
    upper = 1.0 if events == n else max(min(float(upper), 1.0), p)
    return Incidence(events, n, p, lower, upper, level)


def risk_difference(
    events_a: int, n_a: int, events_b: int, n_b: int, level: float = 0.95
) -> RiskDifference:
    """``events_a / n_a - events_b / n_b`` with Newcombe's hybrid score interval (method 10)."""
    events_a, n_a = _counts(events_a, n_a, "events_a", "n_a")
    events_b, n_b = _counts(events_b, n_b, "events_b", "n_b")
    level = _level(level)
    interval = newcombe_difference(events_a, n_a, events_b, n_b, level)
    return RiskDifference(
        events_a,
        n_a,
        events_b,
        n_b,
        interval.estimate,
        interval.lower,
        interval.upper,
        level,
        interval.method,
    )
