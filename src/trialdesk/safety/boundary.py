"""The Bayesian safety stopping rule declared in the protocol, and its boundary table.

The rule (issue 15): with a ``Beta(a, b)`` prior on the rate of the defined serious toxicity,
after ``n`` treated participants of whom ``x`` had the event, stop (alert the DSMB) if

    P(rate > threshold | x, n) > cutoff,

where the posterior is ``Beta(a + x, b + n - x)`` (beta-binomial conjugacy). It is the
posterior-probability monitoring of Thall, Simon and Estey (1995), Stat Med 14:357-379, with a
fixed threshold in place of their standard-therapy prior, and the same rule as the dose-elimination
rule of the BOIN design (Liu and Yuan 2015, J R Stat Soc C 64:507-523: eliminate a dose if
``P(p > target | data) > 0.95`` under ``Beta(1, 1)``).

Because the posterior probability rises with ``x`` at fixed ``n``, the rule is a table fixed
before the first participant: for each ``n`` the smallest ``x`` that trips it. The table is shown
in advance (protocol, DSMB charter) and the live check is then a lookup a person can redo by hand.

The arithmetic lives in :mod:`trialdesk.stats.design.bayes` (``posterior_probability`` and
``posterior_boundary_table``), which the design commands already use; this module gives it the
protocol's names, validates the inputs and adds the probability at each boundary.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from trialdesk.stats.design.bayes import posterior_boundary_table, posterior_probability

#: Refuse tables longer than this: a safety table is for the participants of one trial.
MAX_TABLE_N = 100_000


@dataclass(frozen=True)
class BoundaryRow:
    """One line of the table: after ``n`` treated, ``min_events`` or more events trip the rule.

    ``min_events`` is None where even ``n`` of ``n`` would not trip it (too few treated yet for
    the data to outweigh the prior). ``probability`` is P(rate > threshold) at ``min_events``.
    """

    n: int
    min_events: int | None
    probability: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "min_events": self.min_events, "probability": self.probability}


def _check_count(value: Any, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    return int(value)


def _check_rule(prior_a: float, prior_b: float, threshold: float, cutoff: float | None) -> None:
    for name, value in (("prior_a", prior_a), ("prior_b", prior_b)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name}: a Beta prior parameter must be > 0, got {value}")
    named = [("threshold", threshold)]
    if cutoff is not None:
        named.append(("cutoff", cutoff))
    for name, value in named:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        if not 0 < value < 1:
            raise ValueError(f"{name}: must lie strictly between 0 and 1, got {value}")


def posterior_probability_above(
    x: int, n: int, prior_a: float, prior_b: float, threshold: float
) -> float:
    """P(rate > threshold | x events in n) under a ``Beta(prior_a, prior_b)`` prior.

    The number the DSMB reads next to the cutoff; exact (regularized incomplete beta function).
    """
    _check_rule(prior_a, prior_b, threshold, None)
    n = _check_count(n, "n")
    x = _check_count(x, "x")
    if x > n:
        raise ValueError(f"x: the events ({x}) cannot exceed the participants treated (n={n})")
    return float(posterior_probability(x, n, threshold, a=prior_a, b=prior_b))


def trips(x: int, n: int, prior_a: float, prior_b: float, threshold: float, cutoff: float) -> bool:
    """Whether ``x`` events in ``n`` treated trip the rule (strictly above the cutoff)."""
    _check_rule(prior_a, prior_b, threshold, cutoff)
    return posterior_probability_above(x, n, prior_a, prior_b, threshold) > cutoff


def min_events(
    n: int, prior_a: float, prior_b: float, threshold: float, cutoff: float
) -> int | None:
    """The smallest event count among ``n`` treated that trips the rule (None if none does):
    one row of :func:`boundary_table`, without computing the rows before it."""
    _check_rule(prior_a, prior_b, threshold, cutoff)
    n = _check_count(n, "n", minimum=1)
    [(_, x)] = posterior_boundary_table([n], threshold, cutoff, a=prior_a, b=prior_b)
    return x


def boundary_table(
    prior_a: float, prior_b: float, threshold: float, cutoff: float, max_n: int
) -> list[BoundaryRow]:
    """For each n = 1..max_n the smallest event count that trips the rule (None if none does).

    Read as: "stop if at least ``min_events`` of the first ``n`` treated have had the event".
    """
    _check_rule(prior_a, prior_b, threshold, cutoff)
    max_n = _check_count(max_n, "max_n", minimum=1)
    if max_n > MAX_TABLE_N:
        raise ValueError(f"max_n: at most {MAX_TABLE_N}, got {max_n}")
    rows = []
    for n, x in posterior_boundary_table(
        range(1, max_n + 1), threshold, cutoff, a=prior_a, b=prior_b
    ):
        prob = None if x is None else posterior_probability_above(x, n, prior_a, prior_b, threshold)
        rows.append(BoundaryRow(n=n, min_events=x, probability=prob))
    return rows
