"""What an adverse event means for safety reporting: small rules, testable on paper.

- :func:`is_serious`: any ICH E2A seriousness criterion (death, life-threatening, hospitalization
  or its prolongation, persistent or significant disability, congenital anomaly, important
  medical event).
- :func:`is_related`: a relatedness of possible, probable or definite (a "suspected" reaction).
- :func:`is_susar`: serious, suspected (related) and unexpected against the reference safety
  information; an event whose expectedness is not yet assessed is no SUSAR yet, but the
  assessment becomes one of its next actions (:func:`next_actions`).
- :func:`alert_reasons`: why the sponsor's safety contact and the DSMB are told at once (an SAE,
  a grade 4 or 5 event, a death, a SUSAR).
- :func:`next_actions`: what the case still needs (the initial report to the sponsor within 24 h,
  a death report, follow-ups until resolved, the SUSAR report to the authorities).

Plain Python: no Django, no database; the web layer stores the facts and asks these rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# ICH E2A II.B (the names the web layer stores)
SERIOUSNESS_CRITERIA = (
    "death",
    "life_threatening",
    "hospitalization",
    "disability",
    "congenital_anomaly",
    "important_medical_event",
)
RELATEDNESS = ("not_related", "unlikely", "possible", "probable", "definite")
RELATED = frozenset({"possible", "probable", "definite"})
EXPECTEDNESS = ("expected", "unexpected", "unknown")
OUTCOMES = (
    "recovered",
    "recovering",
    "not_recovered",
    "recovered_with_sequelae",
    "fatal",
    "unknown",
)
# an event with one of these outcomes is over (nothing more to follow)
FINAL_OUTCOMES = frozenset({"recovered", "recovered_with_sequelae", "fatal"})
ACTIONS_TAKEN = (
    "none",
    "infusion_interrupted",
    "infusion_stopped",
    "treatment_given",
    "not_applicable",
    "unknown",
)
GRADES = (1, 2, 3, 4, 5)  # CTCAE v5: 5 is death related to the event

# alert reasons, in the order a message names them
SAE, GRADE_4_PLUS, DEATH, SUSAR = "sae", "grade_4_plus", "death", "susar"
ALERT_REASONS = (SAE, GRADE_4_PLUS, DEATH, SUSAR)

# next actions
INITIAL_REPORT = "initial_report"  # investigator -> sponsor, 24 h from awareness
DEATH_REPORT = "death_report"  # a death needs its report (cause, autopsy, ...)
FOLLOW_UP = "follow_up"  # an SAE is followed until resolved
ASSESS_EXPECTEDNESS = "assess_expectedness"  # serious and related, expectedness unknown
SUSAR_REPORT = "susar_report"  # sponsor -> authorities (7 or 15 days)
NEXT_ACTIONS = (INITIAL_REPORT, DEATH_REPORT, FOLLOW_UP, ASSESS_EXPECTEDNESS, SUSAR_REPORT)


def is_serious(criteria: Iterable[str]) -> bool:
    """Return True if any seriousness criterion is met; an unknown name is a ValueError."""
    met = set(criteria)
    unknown = met - set(SERIOUSNESS_CRITERIA)
    if unknown:
        raise ValueError(f"unknown seriousness criteria: {sorted(unknown)}")
    return bool(met)


def is_related(relatedness: str) -> bool:
    """Return True for a suspected reaction: possible, probable or definite."""
    if relatedness not in RELATEDNESS:
        raise ValueError(f"relatedness must be one of {', '.join(RELATEDNESS)}")
    return relatedness in RELATED


def is_susar(*, serious: bool, relatedness: str, expectedness: str) -> bool:
    """A suspected unexpected serious adverse reaction: serious, related and unexpected."""
    if expectedness not in EXPECTEDNESS:
        raise ValueError(f"expectedness must be one of {', '.join(EXPECTEDNESS)}")
    return serious and is_related(relatedness) and expectedness == "unexpected"


@dataclass(frozen=True)
class EventFacts:
    """What the rules need to know of one adverse event and its reports so far."""

    grade: int
    criteria: frozenset[str] = field(default_factory=frozenset)
    relatedness: str = "not_related"
    expectedness: str = "unknown"
    outcome: str = "unknown"
    resolved: bool = False
    reported_to_sponsor: bool = False  # the initial SAE report reached the sponsor
    death_reported: bool = False  # a death report was filed
    susar_reported: bool = False  # the sponsor's SUSAR report went to the authorities

    def __post_init__(self) -> None:
        if self.grade not in GRADES:
            raise ValueError(f"grade must be one of {GRADES} (CTCAE v5)")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        is_serious(self.criteria)
        is_related(self.relatedness)

    @property
    def serious(self) -> bool:
        return is_serious(self.criteria) or self.death

    @property
    def death(self) -> bool:
        """A fatal event: the death criterion, CTCAE grade 5 or a fatal outcome."""
        return "death" in self.criteria or self.grade == 5 or self.outcome == "fatal"

    @property
    def susar(self) -> bool:
        return is_susar(
            serious=self.serious, relatedness=self.relatedness, expectedness=self.expectedness
        )

    @property
    def fatal_or_life_threatening(self) -> bool:
        """Which SUSAR clock runs: 7 days (fatal or life-threatening) or 15."""
        return self.death or "life_threatening" in self.criteria or self.grade >= 4


def alert_reasons(facts: EventFacts) -> list[str]:
    """Why this event alerts the sponsor's safety contact and the DSMB at once (empty: it does
    not): an SAE, a grade >= 4 event, a death, a SUSAR."""
    reasons = []
    if facts.serious:
        reasons.append(SAE)
    if facts.grade >= 4:
        reasons.append(GRADE_4_PLUS)
    if facts.death:
        reasons.append(DEATH)
    if facts.susar:
        reasons.append(SUSAR)
    return reasons


def new_alert_reasons(facts: EventFacts, already: Iterable[str]) -> list[str]:
    """The reasons not alerted yet (an update that makes an event a SUSAR alerts again)."""
    told = set(already)
    return [reason for reason in alert_reasons(facts) if reason not in told]


def next_actions(facts: EventFacts) -> list[str]:
    """The reports this case still needs, most urgent first.

    - an SAE not yet reported to the sponsor needs its initial report (24 h from awareness);
    - a death needs a death report;
    - a serious, related event of unknown expectedness needs its expectedness assessed (it may
      be a SUSAR);
    - a SUSAR needs its report to the authorities (7 or 15 days from the sponsor's day 0);
    - an SAE needs follow-up reports until it is resolved (a fatal outcome resolves it).
    """
    actions = []
    if facts.serious and not facts.reported_to_sponsor:
        actions.append(INITIAL_REPORT)
    if facts.death and not facts.death_reported:
        actions.append(DEATH_REPORT)
    if facts.serious and is_related(facts.relatedness) and facts.expectedness == "unknown":
        actions.append(ASSESS_EXPECTEDNESS)
    if facts.susar and not facts.susar_reported:
        actions.append(SUSAR_REPORT)
    if facts.serious and not facts.resolved and facts.outcome != "fatal":
        actions.append(FOLLOW_UP)
    return actions


def is_resolved(outcome: str) -> bool:
    """Return True when the outcome ends the event (recovered, with or without sequelae, or
    fatal)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    return outcome in FINAL_OUTCOMES
