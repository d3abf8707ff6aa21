"""Lot release: a lot's test results against the protocol's release tests (``[product]``).

A lot is released only when every test that applies to it has a result that meets its limit; a
missing result is a failure, never a pass (a lot must not ship because a test was forgotten).
Limits are inclusive, as release specifications are written: viability >= 70 % releases a lot at
exactly 70 %. A ``pass`` test takes ``True``/``"pass"`` or ``False``/``"fail"``; anything else is
a failure saying so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from trialdesk.protocol.product import ProductRules, ReleaseTest

Problem = Literal["missing", "below_minimum", "above_maximum", "failed", "not_a_number",
                  "not_pass_or_fail"]

PASS_WORDS = {"pass", "passed"}
FAIL_WORDS = {"fail", "failed"}


@dataclass(frozen=True)
class ReleaseFailure:
    """A test the lot did not pass: its code, the value given (None when missing), the rule."""

    code: str
    value: object
    rule_text: str
    problem: Problem = "failed"


@dataclass(frozen=True)
class ReleaseDecision:
    released: bool
    failures: list[ReleaseFailure]
    # result codes that name no release test (a misspelt code): shown, not silently dropped
    unexpected: list[str] = field(default_factory=list)


def rule_text(test: ReleaseTest, language: str = "en") -> str:
    """The rule as people read it, e.g. ``Viability >= 70 %`` or ``Sterility: pass``."""
    label = test.label_text(language)
    if test.kind == "pass":
        return f"{label}: {'conforme' if language.startswith('es') else 'pass'}"
    sign = ">=" if test.kind == "min" else "<="
    unit = f" {test.unit}" if test.unit else ""
    return f"{label} {sign} {format_number(test.limit)}{unit}"


def format_number(value: float | None) -> str:
    # as protocols write them: 70 (not 70.0), 1e8 (not Python's 1e+08)
    return re.sub(r"e\+?0*(\d)", r"e\1", f"{value:g}")


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip()))
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _check(test: ReleaseTest, value: object) -> Problem | None:
    if test.kind == "pass":
        word = value.strip().lower() if isinstance(value, str) else value
        if value is True or word in PASS_WORDS:
            return None
        if value is False or word in FAIL_WORDS:
            return "failed"
        return "not_pass_or_fail"
    number = _as_number(value)
    if number is None:
        return "not_a_number"
    limit = float(test.limit or 0)  # the schema requires a limit for min and max tests
    if test.kind == "min" and number < limit:
        return "below_minimum"
    if test.kind == "max" and number > limit:
        return "above_maximum"
    return None


def applicable_tests(rules: ProductRules, cell_lot: bool = True) -> list[ReleaseTest]:
    """The tests a lot is released on: all of them for a cell lot, the others for a placebo."""
    return [test for test in rules.release_tests if cell_lot or not test.cell_lot_only]


def evaluate_release(rules: ProductRules, results: Mapping[str, object],
                     cell_lot: bool = True) -> ReleaseDecision:
    """Decide whether a lot with these ``results`` (test code -> value) may be released."""
    applicable = applicable_tests(rules, cell_lot)
    failures: list[ReleaseFailure] = []
    for test in applicable:
        value = results.get(test.code)
        if value is None or (isinstance(value, str) and not value.strip()):
            failures.append(ReleaseFailure(test.code, None, rule_text(test), "missing"))
            continue
        problem = _check(test, value)
        if problem is not None:
            failures.append(ReleaseFailure(test.code, value, rule_text(test), problem))
    known = {test.code for test in rules.release_tests}
    unexpected = sorted(code for code in results if code not in known)
    return ReleaseDecision(released=not failures, failures=failures, unexpected=unexpected)
