"""The outcome model: what happens to a randomized participant in the 28 days of follow-up.

Control 28-day mortality about 40% (the registry page: "mortality can be as high as 40%"), higher
in severe ARDS; with ``effect="realistic"`` the experimental arm's risk of death is 0.6 times the
control's and its inflammation (IL-6 and the other cytokines) falls faster; with ``effect="none"``
both arms follow the control's model (a null trial). Which arm is the control is read from the
protocol: the arm of type PLACEBO_COMPARATOR or NO_INTERVENTION (else the last arm).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

EFFECTS = ("realistic", "none")
CONTROL_MORTALITY = 0.40
SEVERE_MORTALITY_FACTOR = 1.3  # severe ARDS (P/F <= 100) against the average
MORTALITY_RATIO = 0.6  # experimental against control, realistic effect
WITHDRAWAL = 0.04
LOSS_TO_FOLLOW_UP = 0.03
HORIZON = 28


@dataclass(frozen=True)
class Course:
    """One participant's follow-up: at most one of death, withdrawal and loss ends it early."""

    treated: bool  # the experimental arm with a real effect (False for control or a null trial)
    death_day: int | None
    withdrawal_day: int | None
    lost_after_day: int | None  # last contact on this day; vital status at day 28 unknown
    # days on invasive ventilation (to death or extubation): the model records the episodes and
    # the end-of-study form derives the ventilator-free days from them (28 - this, if alive)
    ventilation_days: int

    def ended_by(self, day: int) -> bool:
        """Whether follow-up has ended (death or withdrawal) before ``day``."""
        end = self.death_day or self.withdrawal_day
        return end is not None and end < day


def control_arm(arms: list[tuple[str, str]]) -> str:
    """The control arm's code, from ``(code, type)`` pairs."""
    for code, kind in arms:
        if kind in ("PLACEBO_COMPARATOR", "NO_INTERVENTION", "SHAM_COMPARATOR"):
            return code
    return arms[-1][0]


def draw_course(rng: random.Random, *, treated: bool, severe: bool) -> Course:
    """Draw one participant's course; ``treated``: the experimental arm with a real effect."""
    risk = CONTROL_MORTALITY * (SEVERE_MORTALITY_FACTOR if severe else 0.85)
    if treated:
        risk *= MORTALITY_RATIO
    death_day = None
    withdrawal_day = lost_after_day = None
    if rng.random() < risk:
        # deaths in COVID-19 ARDS cluster in the first two weeks
        death_day = 1 + int((HORIZON - 1) * rng.random() ** 1.6)
    elif rng.random() < WITHDRAWAL:
        withdrawal_day = rng.randint(2, 20)
    elif rng.random() < LOSS_TO_FOLLOW_UP:
        lost_after_day = 14
    if death_day is not None:
        ventilation = death_day
    else:
        ventilation = max(2, int(rng.gauss(11 if severe else 8, 4) - (2 if treated else 0)))
    return Course(treated, death_day, withdrawal_day, lost_after_day, min(ventilation, HORIZON))
