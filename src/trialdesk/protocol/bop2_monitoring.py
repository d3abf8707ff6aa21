"""The protocol's BOP2 monitoring rule for efficacy and toxicity together (``[bop2_monitoring]``,
optional; issue 23).

Zhou, Lee and Yuan (2017): at each look (a count of evaluable participants of the watched arm)
the trial stops for futility if #efficacy <= a_n or for toxicity if #toxicity >= b_n, the count
boundaries following from the Dirichlet prior centred on the null cells and the cutoff
``C(n) = 1 - lambda (n / N)^gamma`` (:mod:`trialdesk.stats.design.bop2`). ``lambda`` and
``gamma`` are written here as calibrated beforehand (``trialdesk design bop2``), so that the
boundaries are fixed in the protocol and never recomputed from trial data.

A participant is evaluable once the efficacy form is recorded; efficacy is that form's field
taking one of ``values``; toxicity is defined on adverse events as in ``[safety_monitoring]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from trialdesk.protocol.base import Code, StrictModel
from trialdesk.protocol.safety_monitoring import Toxicity
from trialdesk.protocol.text import LocalizedText

if TYPE_CHECKING:
    from trialdesk.stats.design.bop2 import Bop2Problem

Cells = tuple[float, float, float, float]


class Efficacy(StrictModel):
    """Which recorded value makes a participant a responder."""

    form: Code
    field: Code
    values: list[str] = Field(min_length=1)
    description: LocalizedText | None = None


class Bop2Monitoring(StrictModel):
    """Watched arm, looks, null and alternative cells, calibrated lambda and gamma, and the
    definitions of efficacy and toxicity. Cells in the order (efficacy & toxicity, efficacy
    only, toxicity only, neither)."""

    arm: Code
    looks: list[int] = Field(min_length=1)
    null: Cells
    alternative: Cells
    lam: float = Field(alias="lambda", gt=0, le=1)
    gamma: float = Field(ge=0, le=10)
    # the Dirichlet prior's effective sample size (centred on the null), as calibrated with
    prior_ess: float = Field(default=1.0, gt=0, le=100)
    efficacy: Efficacy
    toxicity: Toxicity

    @model_validator(mode="after")
    def _a_valid_design(self) -> Bop2Monitoring:
        try:
            self.problem()
        except ValueError as refused:  # the design core names the rule broken
            raise ValueError(f"bop2_monitoring: {refused}") from None
        return self

    def pooled_looks(self, allocation_ratio: dict[str, int]) -> list[int]:
        """The looks as counts of evaluable participants of all arms together: each look scaled
        by the allocation ratio (1:1 doubles it), rounded up so the watched arm has reached it in
        expectation. The DSMB is convened on these counts, which blinded staff may know, rather
        than on the watched arm's own: a meeting date that follows one arm's outcomes would tell
        them which participants are in it."""
        share = allocation_ratio[self.arm] / sum(allocation_ratio.values())
        return [math.ceil(look / share - 1e-9) for look in self.looks]

    def problem(self) -> Bop2Problem:
        """The design problem these settings describe (prior: the null, ``prior_ess``)."""
        # imported here: loading a protocol should not load scipy for a rule most lack
        from trialdesk.stats.design.bop2 import Bop2Problem

        return Bop2Problem(tuple(self.looks), self.null, self.alternative,
                           prior_ess=self.prior_ess)
