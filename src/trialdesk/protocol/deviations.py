"""The protocol's deviation vocabulary (``[deviations]``, optional; issue 16).

A protocol deviation is recorded with a category from this list and a severity, major or minor,
whose definitions the protocol states (ICH E3 "important" deviations are the major ones). A major
deviation is reported to the ethics committee within ``ethics_report_days`` of its discovery.

A category marked ``may_unblind`` (study treatment, randomization/allocation) is one whose account
can name an arm ("the kit of the other arm was given"): such details go to a field only roles that
see arms may read, never to the description every blinded reader sees.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from trialdesk.protocol.base import Code, StrictModel
from trialdesk.protocol.text import LocalizedText


class DeviationCategory(StrictModel):
    code: Code
    label: LocalizedText
    may_unblind: bool = False


class DeviationRules(StrictModel):
    """Categories, the two severities' definitions and the ethics committee's reporting window."""

    categories: list[DeviationCategory] = Field(min_length=1)
    major: LocalizedText
    minor: LocalizedText
    # days after discovery by which a major deviation is reported to the ethics committee
    ethics_report_days: int = Field(ge=0, le=365)

    @model_validator(mode="after")
    def _unique_codes(self) -> DeviationRules:
        codes = [category.code for category in self.categories]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"categories: code {repeated[0]!r} is given twice")
        return self

    def category(self, code: str) -> DeviationCategory | None:
        """Return the category with this code, or None."""
        return next((c for c in self.categories if c.code == code), None)
