"""The rule language: parsed, never evaluated with eval, and missing values are explicit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.protocol.expressions import Expression, ExpressionSyntaxError, MissingValue


def test_comparisons_and_boolean_groups() -> None:
    rule = Expression("age >= 18 and (pcr == 'positive' or antigen == yes) and not pregnant")
    values = {"age": 40, "pcr": "negative", "antigen": True, "pregnant": False}
    assert rule.evaluate(values) is True
    assert rule.evaluate({**values, "antigen": False}) is False
    assert rule.names() == {"age", "pcr", "antigen", "pregnant"}


def test_arithmetic_precedence() -> None:
    assert Expression("1 + 2 * 3").evaluate({}) == 7
    assert Expression("(1 + 2) * 3").evaluate({}) == 9
    assert Expression("-2 * -3").evaluate({}) == 6
    assert Expression("pao2 / fio2").evaluate({"pao2": 90, "fio2": 0.6}) == pytest.approx(150)


def test_missing_value_is_raised_not_guessed() -> None:
    with pytest.raises(MissingValue) as caught:
        Expression("peep >= 5").evaluate({})
    assert caught.value.name == "peep"


def test_or_with_one_decisive_true_ignores_missing() -> None:
    assert Expression("a == 1 or b == 2").evaluate({"a": 1}) is True
    with pytest.raises(MissingValue):
        Expression("a == 1 or b == 2").evaluate({"a": 0})


def test_division_by_zero_counts_as_missing() -> None:
    with pytest.raises(MissingValue):
        Expression("pao2 / fio2").evaluate({"pao2": 90, "fio2": 0})


@pytest.mark.parametrize(
    "source",
    ["", "age >=", "__import__('os')", "age >= 18 and", "(age > 1", "age = 18", "a.b > 1",
     "open('x')"],
)
def test_bad_syntax_is_refused(source: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        Expression(source)


def test_numeric_bounds_of_a_conjunction() -> None:
    bounds = Expression("x > 100 and x <= 200 and 5 <= y").numeric_bounds()
    assert bounds is not None
    assert (bounds["x"].low, bounds["x"].low_closed, bounds["x"].high) == (100, False, 200)
    assert bounds["y"].low == 5 and bounds["y"].low_closed
    assert Expression("x > 1 or y > 2").numeric_bounds() is None


@given(
    st.integers(-1000, 1000), st.integers(-1000, 1000),
    st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
)
def test_comparison_agrees_with_python(left: int, right: int, op: str) -> None:
    import operator

    python = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}[op]
    assert Expression(f"a {op} b").evaluate({"a": left, "b": right}) is python(left, right)


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(1, 10**6))
def test_arithmetic_agrees_with_python(a: int, b: int, c: int) -> None:
    assert Expression("a + b * c - a / b").evaluate({"a": a, "b": b, "c": c}) == pytest.approx(
        a + b * c - a / b
    )
