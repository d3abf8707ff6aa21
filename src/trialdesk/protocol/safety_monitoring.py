"""The protocol's Bayesian safety stopping rule (``[safety_monitoring]``, optional; issue 15).

The rule watches one arm (the experimental one): with a ``Beta(a, b)`` prior on the rate of the
defined serious toxicity, the DSMB is alerted once P(rate > threshold | events, treated) > cutoff
(:mod:`trialdesk.safety.boundary`). The toxicity is defined here, on the adverse event's recorded
facts: an event of CTCAE grade ``min_grade`` or higher, or (``serious_related``) a serious event
related to the intervention (relatedness possible, probable or definite).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from trialdesk.protocol.base import Code, StrictModel
from trialdesk.protocol.text import LocalizedText


class Toxicity(StrictModel):
    """Which adverse events count as the rule's serious toxicity (any of the criteria given)."""

    min_grade: int | None = Field(default=None, ge=1, le=5)
    serious_related: bool = False
    description: LocalizedText | None = None

    @model_validator(mode="after")
    def _some_criterion(self) -> Toxicity:
        if self.min_grade is None and not self.serious_related:
            raise ValueError("define the toxicity: give min_grade, serious_related or both")
        return self

    def counts(self, *, grade: int, serious: bool, related: bool) -> bool:
        """Whether an event with these facts is the defined toxicity."""
        if self.min_grade is not None and grade >= self.min_grade:
            return True
        return self.serious_related and serious and related


class SafetyMonitoring(StrictModel):
    """The stopping rule: watched arm, toxicity, Beta prior, threshold, cutoff, max_n."""

    arm: Code
    toxicity: Toxicity
    prior: tuple[float, float] = (1.0, 1.0)
    threshold: float = Field(gt=0, lt=1)
    cutoff: float = Field(gt=0, lt=1)
    # the table's last row: the watched arm's target enrollment
    max_n: int = Field(ge=1, le=10_000)

    @model_validator(mode="after")
    def _positive_prior(self) -> SafetyMonitoring:
        if not all(value > 0 for value in self.prior):
            raise ValueError("prior: both Beta parameters must be > 0")
        return self
