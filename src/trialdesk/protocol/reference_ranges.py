"""A laboratory result's normal (reference) range, as the protocol states it (issue 21).

A numeric field may carry ``reference_range``: the low and high limits of healthy adults in the
field's own unit, optionally by sex (``by_sex``: ``F`` / ``M``), each from a published source
named beside it in the protocol file. The SDTM export writes them (LBORNRLO/HI, LBSTNRLO/HI)
and says where each result falls (LBNRIND: LOW, NORMAL, HIGH) with :func:`classify`. A range is
protocol content: an amendment changes it, and each result is read against the range of the
protocol version it was captured under.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from trialdesk.protocol.base import StrictModel
from trialdesk.protocol.censored import ABOVE, BELOW, is_censored

LOW, NORMAL, HIGH = "LOW", "NORMAL", "HIGH"
Sex = Literal["F", "M"]


class ReferenceLimits(StrictModel):
    """Limits of the normal range, bounds included; one may be absent (D-dimer: below 500)."""

    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _a_limit_in_order(self) -> ReferenceLimits:
        if self.low is None and self.high is None:
            raise ValueError("a reference range needs a low or a high limit (or both)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low:g}) is greater than high ({self.high:g})")
        return self


class ReferenceRange(StrictModel):
    """The normal range of a result in ``unit`` (the field's unit: no conversion is made).

    ``low``/``high`` hold for everyone; ``by_sex`` for one sex instead (a participant of another
    or unknown sex gets ``low``/``high``, or no range when they are not given)."""

    unit: str
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)
    by_sex: dict[Sex, ReferenceLimits] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _limits_given(self) -> ReferenceRange:
        if self.low is None and self.high is None and not self.by_sex:
            raise ValueError("a reference range needs low, high or by_sex")
        if self.low is not None or self.high is not None:
            ReferenceLimits(low=self.low, high=self.high)  # the same rules, the same messages
        return self

    def limits_for(self, sex: str | None) -> ReferenceLimits | None:
        """The limits that hold for a participant of ``sex`` (F, M, or anything else)."""
        if sex in self.by_sex:
            return self.by_sex[sex]  # type: ignore[index]
        if self.low is None and self.high is None:
            return None
        # validated with the range itself: built unchecked, as it is for every result exported
        return ReferenceLimits.model_construct(low=self.low, high=self.high)


def classify(value: Any, limits: ReferenceLimits | None) -> str | None:
    """LOW, NORMAL or HIGH for a result against ``limits`` (bounds are normal); None when there
    is no range, no result, or a result beyond a limit of quantification that the range does not
    settle (``<5`` against a low limit of 2 may be either: only ``<2`` or less is surely LOW)."""
    if limits is None or value is None or value == "":
        return None
    low, high = limits.low, limits.high
    if is_censored(value):
        return _classify_censored(value["censored"], float(value["limit"]), low, high)
    number = float(value)
    if low is not None and number < low:
        return LOW
    if high is not None and number > high:
        return HIGH
    return NORMAL


def _classify_censored(direction: str, limit: float, low: float | None,
                       high: float | None) -> str | None:
    if direction == BELOW:  # the result is under ``limit``
        if low is not None and limit <= low:
            return LOW
        if low is None and (high is None or limit <= high):
            return NORMAL
        return None
    if direction == ABOVE:  # the result is over ``limit``
        if high is not None and limit >= high:
            return HIGH
        if high is None and (low is None or limit >= low):
            return NORMAL
    return None

