"""Where a running trial stands against its BOP2 boundaries, look by look (for the DSMB).

The caller gives the outcomes of the watched arm's participants in a fixed order (the DSMB's
report: randomization order, as far as all are evaluable); at look ``n`` the rule reads the first
``n`` of them (the counts the design assumed at that look), whatever was learnt since, as a
group-sequential look does. A look not reached yet is shown as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .bop2 import Bop2Problem, boundaries

Decision = Literal["not_reached", "continue", "stop_futility", "stop_toxicity",
                   "stop_both", "promising", "not_promising"]


@dataclass(frozen=True)
class LookStatus:
    """One look: the boundaries fixed in advance, the counts at it and what the rule says."""

    n: int
    cutoff: float
    stop_if_efficacies_at_most: int  # -1: no futility stop possible at this look
    stop_if_toxicities_at_least: int | None  # None: toxicity not monitored (or cannot stop)
    efficacies: int | None  # None: look not reached
    toxicities: int | None
    decision: Decision
    first_stop: bool = False  # the first look at which the rule said stop


def look_statuses(problem: Bop2Problem, lam: float, gamma: float,
                  outcomes: Sequence[tuple[bool, bool]]) -> list[LookStatus]:
    """The rule at each look for ``outcomes``: (efficacy, toxicity) per evaluable participant,
    in the order the looks count them."""
    bounds = boundaries(problem, lam, gamma)
    last = len(bounds.looks) - 1
    rows: list[LookStatus] = []
    stopped = False
    for k, n in enumerate(bounds.looks):
        tox_bound = bounds.tox_stop[k] if bounds.tox_stop[k] <= n else None
        if len(outcomes) < n:
            rows.append(LookStatus(n, bounds.cutoffs[k], bounds.eff_stop[k], tox_bound,
                                   None, None, "not_reached"))
            continue
        eff = sum(1 for e, _ in outcomes[:n] if e)
        tox = sum(1 for _, t in outcomes[:n] if t)
        futile = eff <= bounds.eff_stop[k]
        toxic = tox_bound is not None and tox >= tox_bound
        decision: Decision
        if futile and toxic:
            decision = "stop_both"
        elif futile:
            decision = "not_promising" if k == last else "stop_futility"
        elif toxic:
            decision = "stop_toxicity"
        else:
            decision = "promising" if k == last else "continue"
        says_stop = decision not in ("continue", "promising")
        rows.append(LookStatus(n, bounds.cutoffs[k], bounds.eff_stop[k], tox_bound, eff, tox,
                               decision, first_stop=says_stop and not stopped))
        stopped = stopped or says_stop
    return rows
