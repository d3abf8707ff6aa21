"""Lot release against NCT04390152's release tests (issue 18): every kind of test (min, max,
pass), limits inclusive as the protocol says (viability >= 70 % releases at exactly 70), a missing
result fails, unusable values fail naming why, a placebo lot is released on the tests that apply
to it, misspelt result codes are reported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.protocol.loader import default_protocol_path
from trialdesk.supply.release import applicable_tests, evaluate_release, format_number, rule_text

RULES = load_protocol(default_protocol_path()).product
PASSING = {
    "viable_cells": 1.2e8, "viability": 92.5, "sterility": "pass", "endotoxin": 0.1,
    "mycoplasma": "pass", "cd73_cd90_cd105": 98.7, "cd45_cd34": 0.4,
}


def _failures(results):
    decision = evaluate_release(RULES, results)
    return decision, {failure.code: failure for failure in decision.failures}


def test_a_lot_passing_every_test_is_released():
    decision = evaluate_release(RULES, PASSING)
    assert decision.released and decision.failures == [] and decision.unexpected == []


@pytest.mark.parametrize(("code", "value", "released", "problem"), [
    # min tests: the limit itself passes (>= is inclusive), just under fails
    ("viability", 70, True, None),
    ("viability", 69.99, False, "below_minimum"),
    ("viable_cells", 1e8, True, None),
    ("viable_cells", 99_999_999, False, "below_minimum"),
    ("cd73_cd90_cd105", 95, True, None),
    ("cd73_cd90_cd105", 94.9, False, "below_minimum"),
    # max tests: the limit itself passes (<= is inclusive), just over fails
    ("endotoxin", 0.5, True, None),
    ("endotoxin", 0.51, False, "above_maximum"),
    ("cd45_cd34", 2, True, None),
    ("cd45_cd34", 2.01, False, "above_maximum"),
    # numbers typed as text or decimals are read as such
    ("viability", "70.0", True, None),
    ("endotoxin", Decimal("0.5"), True, None),
    # pass tests
    ("sterility", True, True, None),
    ("sterility", "Passed", True, None),
    ("sterility", "fail", False, "failed"),
    ("mycoplasma", False, False, "failed"),
    ("mycoplasma", "positive?", False, "not_pass_or_fail"),
    # what is not a number is a failure saying so, not a pass nor a crash
    ("viability", "high", False, "not_a_number"),
    ("viability", float("nan"), False, "not_a_number"),
    ("endotoxin", True, False, "not_a_number"),
])
def test_each_kind_of_test_at_its_boundary(code, value, released, problem):
    decision, failures = _failures({**PASSING, code: value})
    assert decision.released is released
    if problem is None:
        assert failures == {}
    else:
        assert list(failures) == [code]
        assert failures[code].problem == problem and failures[code].value is value


@pytest.mark.parametrize("missing", sorted(PASSING))
def test_a_missing_result_fails_the_lot(missing):
    results = {code: value for code, value in PASSING.items() if code != missing}
    decision, failures = _failures(results)
    assert not decision.released
    assert list(failures) == [missing] and failures[missing].problem == "missing"
    assert failures[missing].value is None


def test_an_empty_or_blank_result_is_missing_and_every_failure_is_listed():
    decision, failures = _failures({**PASSING, "viability": " ", "sterility": None,
                                    "endotoxin": 3.2})
    assert not decision.released
    assert {code: failure.problem for code, failure in failures.items()} == {
        "viability": "missing", "sterility": "missing", "endotoxin": "above_maximum"}
    assert evaluate_release(RULES, {}).failures and len(evaluate_release(RULES, {}).failures) == 7


def test_the_rule_is_named_in_each_failure():
    _, failures = _failures({**PASSING, "viability": 65, "endotoxin": 0.8, "sterility": "fail"})
    assert failures["viability"].rule_text == "Viability >= 70 %"
    assert failures["endotoxin"].rule_text == "Endotoxin <= 0.5 EU/mL"
    assert failures["sterility"].rule_text == "Sterility: pass"
    assert rule_text(RULES.release_test("viable_cells")) == "Viable cells per bag >= 1e8"
    assert rule_text(RULES.release_test("sterility"), "es") == "Esterilidad: conforme"
    assert format_number(1.5e-3) == "0.0015" and format_number(2.5e10) == "2.5e10"


def test_a_placebo_lot_is_released_on_the_tests_that_apply_to_it():
    placebo = {"sterility": "pass", "endotoxin": 0.2, "mycoplasma": "pass"}
    assert [test.code for test in applicable_tests(RULES, cell_lot=False)] == [
        "sterility", "endotoxin", "mycoplasma"]
    assert evaluate_release(RULES, placebo, cell_lot=False).released
    # the same results do not release a cell lot: its cell tests are missing
    decision = evaluate_release(RULES, placebo)
    assert not decision.released and {f.code for f in decision.failures} == {
        "viable_cells", "viability", "cd73_cd90_cd105", "cd45_cd34"}
    # and a placebo lot failing a test it must pass is not released
    assert not evaluate_release(RULES, {**placebo, "sterility": "fail"}, cell_lot=False).released


def test_a_result_under_an_unknown_code_is_reported_not_dropped():
    decision = evaluate_release(RULES, {**PASSING, "viabilty": 90})
    assert decision.released and decision.unexpected == ["viabilty"]
    decision = evaluate_release(RULES, {**{k: v for k, v in PASSING.items() if k != "viability"},
                                        "viabilty": 90})
    assert not decision.released and decision.unexpected == ["viabilty"]
    assert [failure.code for failure in decision.failures] == ["viability"]
