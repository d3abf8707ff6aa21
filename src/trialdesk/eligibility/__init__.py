"""Who may enter the trial, and into which stratum.

Criteria come from the protocol as rules over form fields (the Berlin ARDS definition in the default
protocol). A criterion whose fields are not all entered is "missing", never silently met: a patient
is eligible only when every inclusion criterion is met and every exclusion criterion is not met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trialdesk.protocol import MissingValue, Protocol
from trialdesk.protocol.schema import Criterion

Status = Literal["met", "not_met", "missing"]


@dataclass(frozen=True)
class CriterionResult:
    code: str
    kind: Literal["inclusion", "exclusion"]
    text: str
    status: Status
    missing_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class EligibilityResult:
    criteria: list[CriterionResult]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def eligible(self) -> bool:
        """True when all inclusion criteria are met and no exclusion criterion is met."""
        return all(
            (result.status == "met") if result.kind == "inclusion" else result.status == "not_met"
            for result in self.criteria
        )

    @property
    def complete(self) -> bool:
        """True when every criterion could be decided from the values entered."""
        return all(result.status != "missing" for result in self.criteria)

    @property
    def missing_fields(self) -> list[str]:
        """Fields still needed to decide, in criterion order, without repeats."""
        seen: dict[str, None] = {}
        for result in self.criteria:
            seen.update(dict.fromkeys(result.missing_fields))
        return list(seen)

    @property
    def reasons(self) -> list[str]:
        """Why the patient is not (yet) eligible, one line per failing criterion."""
        lines = []
        for result in self.criteria:
            if result.status == "missing":
                missing = ", ".join(result.missing_fields)
                lines.append(f"{result.code}: not decided, missing {missing}")
            elif result.kind == "inclusion" and result.status == "not_met":
                lines.append(f"{result.code}: inclusion criterion not met")
            elif result.kind == "exclusion" and result.status == "met":
                lines.append(f"{result.code}: exclusion criterion applies")
        return lines


def derive_values(protocol: Protocol, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``values`` plus every derived field computable from them (e.g. PaO2/FiO2)."""
    result = dict(values)
    for form in protocol.forms:
        for form_field in form.fields:
            if form_field.derived is None:
                continue
            try:
                value = form_field.derived.evaluate(result)
            except MissingValue:
                result.pop(form_field.code, None)
                continue
            if form_field.type == "integer":
                value = round(value)
            elif form_field.decimals is not None:
                value = round(float(value), form_field.decimals)
            result[form_field.code] = value
    return result


def _evaluate(criterion: Criterion, kind: str, values: Mapping[str, Any], language: str):
    expression = criterion.expression
    text = criterion.text.text(language)
    try:
        held = bool(expression.evaluate(values))
    except MissingValue:
        absent = sorted(name for name in expression.names() if values.get(name) in (None, ""))
        return CriterionResult(criterion.code, kind, text, "missing", tuple(absent))
    except TypeError:
        # a value of the wrong type (text where a number is due) cannot decide a criterion
        names = tuple(sorted(expression.names()))
        return CriterionResult(criterion.code, kind, text, "missing", names)
    return CriterionResult(criterion.code, kind, text, "met" if held else "not_met")


def evaluate_eligibility(
    protocol: Protocol, values: Mapping[str, Any], *, language: str = "en"
) -> EligibilityResult:
    """Evaluate every criterion of ``protocol`` on the screening ``values``.

    Derived fields are computed first, so PaO2 and FiO2 suffice for ``pao2_fio2 <= 300``.
    """
    derived = derive_values(protocol, values)
    results = [
        _evaluate(criterion, "inclusion", derived, language)
        for criterion in protocol.eligibility.inclusion
    ] + [
        _evaluate(criterion, "exclusion", derived, language)
        for criterion in protocol.eligibility.exclusion
    ]
    return EligibilityResult(results, derived)


class NoStratum(ValueError):
    """Raised when the values do not place the participant in exactly one level of a factor."""


def stratum_for(protocol: Protocol, site_code: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the level codes, one per stratification factor in protocol order."""
    derived = derive_values(protocol, values)
    levels: list[str] = []
    for factor in protocol.design.randomization.strata:
        if factor.source == "site":
            if site_code not in {level.code for level in factor.levels}:
                raise NoStratum(f"site {site_code!r} is not a site of this protocol")
            levels.append(site_code)
            continue
        matching = []
        for level in factor.levels:
            try:
                if level.rule is not None and level.rule.evaluate(derived):
                    matching.append(level.code)
            except MissingValue as error:
                raise NoStratum(
                    f"stratum {factor.code!r} needs {error.name}, which is not entered"
                ) from error
        if len(matching) != 1:
            raise NoStratum(
                f"stratum {factor.code!r}: the values match {len(matching)} levels, expected one"
            )
        levels.append(matching[0])
    return tuple(levels)
