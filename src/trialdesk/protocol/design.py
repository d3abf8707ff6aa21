"""Study design: interventions, arms, allocation ratio, masking and the randomization method."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveInt

from trialdesk.protocol.base import Code, StrictModel
from trialdesk.protocol.expressions import Expression
from trialdesk.protocol.text import LocalizedText

MaskedRole = Literal["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR", "ANALYST"]
"""ClinicalTrials.gov's ``whoMasked`` vocabulary, plus ANALYST (the registry has no code for it)."""

REGISTRY_MASKED_ROLES = ("PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR")
_MASKING_LEVELS = ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")


class Intervention(StrictModel):
    code: Code
    type: Literal[
        "BIOLOGICAL", "DRUG", "DEVICE", "PROCEDURE", "RADIATION", "BEHAVIORAL", "GENETIC",
        "DIETARY_SUPPLEMENT", "COMBINATION_PRODUCT", "DIAGNOSTIC_TEST", "OTHER",
    ]
    name: LocalizedText
    description: LocalizedText


class Arm(StrictModel):
    code: Code
    label: LocalizedText
    type: Literal[
        "EXPERIMENTAL", "ACTIVE_COMPARATOR", "PLACEBO_COMPARATOR", "SHAM_COMPARATOR",
        "NO_INTERVENTION", "OTHER",
    ]
    description: LocalizedText
    interventions: list[str] = Field(default_factory=list)


class Masking(StrictModel):
    who: list[MaskedRole]
    description: LocalizedText | None = None

    @property
    def level(self) -> str:
        """ClinicalTrials.gov's masking level, counted over the registry's own roles."""
        count = len({role for role in self.who if role in REGISTRY_MASKED_ROLES})
        return _MASKING_LEVELS[count]


class StratumLevel(StrictModel):
    code: str
    label: LocalizedText
    rule: Expression | None = None


class StratumFactor(StrictModel):
    code: Code
    label: LocalizedText
    source: Literal["site", "field"]
    levels: list[StratumLevel] = Field(default_factory=list)


class Randomization(StrictModel):
    method: Literal["complete", "permuted-blocks", "minimization", "efron", "big-stick", "maximal"]
    block_sizes: list[PositiveInt] = Field(default_factory=list)
    strata: list[StratumFactor] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    # true: block sizes (and secret parameters) live in randomization.confidential.toml beside
    # the seed, so that the protocol file can go to the sites and be published (ICH E9)
    confidential: bool = False


class Design(StrictModel):
    allocation: Literal["RANDOMIZED", "NON_RANDOMIZED", "NA"]
    intervention_model: Literal[
        "SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL", "SEQUENTIAL"
    ]
    primary_purpose: Literal[
        "TREATMENT", "PREVENTION", "DIAGNOSTIC", "ECT", "SUPPORTIVE_CARE", "SCREENING",
        "HEALTH_SERVICES_RESEARCH", "BASIC_SCIENCE", "DEVICE_FEASIBILITY", "OTHER",
    ]
    interventions: list[Intervention]
    arms: list[Arm]
    allocation_ratio: dict[str, PositiveInt]
    masking: Masking
    randomization: Randomization
    target_enrollment: PositiveInt
    enrollment_type: Literal["ESTIMATED", "ACTUAL"] = "ESTIMATED"

    def arm(self, code: str) -> Arm:
        """Return the arm with this code."""
        return next(arm for arm in self.arms if arm.code == code)
