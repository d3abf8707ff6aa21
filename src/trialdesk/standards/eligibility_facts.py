"""The registry's eligibility summary (ages, sex, healthy volunteers) from a protocol's criteria.

A registry record states these apart from the criteria text. The protocol states only criteria
with rules, so the summary is derived from them: an ``age >= N`` (or ``>``) inclusion rule gives
the minimum age, ``age <= N`` (or ``<``) the maximum; sex is "ALL" unless an inclusion rule names
``sex``; a treatment trial of a condition takes patients, not healthy volunteers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialdesk.protocol import Protocol

_AGE = re.compile(r"^\s*age\s*(>=|>|<=|<)\s*(\d+)\s*$")
_SEX = re.compile(r"^\s*sex\s*==\s*'(female|male)'\s*$", re.IGNORECASE)
ADULT_FROM, OLDER_ADULT_FROM = 18, 65  # ClinicalTrials.gov's age groups


@dataclass(frozen=True)
class EligibilitySummary:
    minimum_age: int | None
    maximum_age: int | None
    sex: str  # ClinicalTrials.gov: ALL, FEMALE or MALE
    healthy_volunteers: bool

    @property
    def std_ages(self) -> list[str]:
        """The registry's age groups the range covers (CHILD < 18 <= ADULT < 65 <= OLDER_ADULT)."""
        low, high = self.minimum_age or 0, self.maximum_age if self.maximum_age is not None else 200
        groups = [("CHILD", 0, ADULT_FROM - 1), ("ADULT", ADULT_FROM, OLDER_ADULT_FROM - 1),
                  ("OLDER_ADULT", OLDER_ADULT_FROM, 200)]
        return [name for name, start, end in groups if low <= end and high >= start]


def _rules(protocol: Protocol) -> list[str]:
    rules: list[str] = []
    for criterion in protocol.eligibility.inclusion:
        rules += [criterion.rule] if criterion.rule else list(criterion.all or [])
    return [str(rule) for rule in rules]


def eligibility_summary(protocol: Protocol) -> EligibilitySummary:
    """Return the protocol's eligibility summary as a registry states it."""
    minimum = maximum = None
    sex = "ALL"
    for rule in _rules(protocol):
        age = _AGE.match(rule)
        if age:
            operator, years = age.group(1), int(age.group(2))
            if operator.startswith(">"):
                minimum = years + (1 if operator == ">" else 0)
            else:
                maximum = years - (1 if operator == "<" else 0)
        chosen = _SEX.match(rule)
        if chosen:
            sex = chosen.group(1).upper()
    patients = bool(protocol.registry.conditions) and protocol.design.primary_purpose == "TREATMENT"
    return EligibilitySummary(minimum, maximum, sex, healthy_volunteers=not patients)
