"""The base of the analysis results: to_dict() from the fields, effects() from declarations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import json
import math
import pkgutil
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trialdesk.stats.analysis as analysis
from trialdesk.stats.analysis import AnalysisResult, Effect, Missing
from trialdesk.stats.analysis._base import NOT_IN_JSON, jsonable


@dataclass(frozen=True)
class Group:
    label: str
    n: int


@dataclass(frozen=True)
class Estimate:
    estimate: float
    lower: float
    upper: float
    method: str


@dataclass(frozen=True)
class ByDay:
    day: float
    ratio: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Inner(AnalysisResult):
    EFFECTS = (Effect("shift", "{outcome}: shift", "difference"),)

    outcome: str
    a: Group
    b: Group
    shift: Estimate
    plot_only: list[float] = field(default_factory=lambda: [1.0, 2.0], metadata=NOT_IN_JSON)


@dataclass(frozen=True)
class Outer(AnalysisResult):
    EFFECTS = (
        Effect("difference", "{outcome}: difference", "difference"),
        Effect("ratios", "{outcome}: ratio, day {item.day:g}", "ratio", estimate="ratio",
               method="model", method_from_result=True),
    )
    OUTCOME_FALLBACK = "the outcome"

    outcome: str
    a: Group
    b: Group
    difference: Estimate
    ratios: list[ByDay]
    inner: Inner
    inners: tuple[Inner, ...]
    count: np.int64
    mean: np.float32
    flag: np.bool_
    values: np.ndarray
    matrix: np.ndarray
    pair: tuple[float, float]
    not_finite: list[float]
    when: dt.date
    stamp: pd.Timestamp
    series: pd.Series
    frame: pd.DataFrame
    missing: Missing | None
    model: str = "a model"
    method: str = field(default="an outer analysis", init=False)


def _inner(outcome: str = "inner") -> Inner:
    return Inner(outcome, Group("x", 3), Group("y", 4), Estimate(0.5, -0.25, 1.25, "HL"))


def _outer(outcome: str = "score", missing: Missing | None = None) -> Outer:
    return Outer(
        outcome=outcome,
        a=Group("group 1", np.int64(5)),
        b=Group("group 2", 6),
        difference=Estimate(np.float64(1.5), 0.5, 2.5, "t interval"),
        ratios=[ByDay(0.0, 1.25, 0.75, 2.0), ByDay(7.5, math.nan, math.nan, math.inf)],
        inner=_inner(),
        inners=(_inner("first"), _inner("second")),
        count=np.int64(12),
        mean=np.float32(0.5),
        flag=np.bool_(True),
        values=np.array([1.0, np.nan, 3.0]),
        matrix=np.array([[1, 2], [3, 4]], dtype=np.int32),
        pair=(1.0, -math.inf),
        not_finite=[math.nan, math.inf],
        when=dt.date(2026, 1, 5),
        stamp=pd.Timestamp("2026-01-05 09:30"),
        series=pd.Series([np.int64(1), np.int64(2)], index=["p1", "p2"]),
        frame=pd.DataFrame({"day": [0, 7], "value": [1.5, np.nan]}),
        missing=missing,
    )


def test_to_dict_is_json_with_numpy_and_pandas_values_converted():
    data = _outer().to_dict()
    # allow_nan=False: NaN and infinity must have become None.
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["count"] == 12 and type(data["count"]) is int
    assert data["mean"] == 0.5 and type(data["mean"]) is float
    assert data["flag"] is True
    assert data["a"] == {"label": "group 1", "n": 5} and type(data["a"]["n"]) is int
    assert data["difference"]["estimate"] == 1.5 and type(data["difference"]["estimate"]) is float
    assert data["values"] == [1.0, None, 3.0]
    assert data["matrix"] == [[1, 2], [3, 4]]
    assert data["pair"] == [1.0, None]
    assert data["not_finite"] == [None, None]
    assert data["when"] == "2026-01-05"
    assert data["stamp"] == "2026-01-05T09:30:00"
    assert data["series"] == {"p1": 1, "p2": 2}
    assert data["frame"] == [{"day": 0, "value": 1.5}, {"day": 7, "value": None}]
    assert data["ratios"][1] == {"day": 7.5, "ratio": None, "lower": None, "upper": None}


def test_to_dict_keeps_field_order_then_the_comparison():
    data = _outer().to_dict()
    names = [f.name for f in dataclasses.fields(Outer)]
    assert list(data) == [*names, "comparison"]
    assert data["method"] == "an outer analysis"  # init=False fields are fields too
    assert data["comparison"] == "group 1 vs group 2"


def test_nested_results_are_converted_by_their_own_to_dict():
    data = _outer().to_dict()
    expected_inner = {
        "outcome": "inner",
        "a": {"label": "x", "n": 3},
        "b": {"label": "y", "n": 4},
        "shift": {"estimate": 0.5, "lower": -0.25, "upper": 1.25, "method": "HL"},
        "comparison": "x vs y",  # the nested result's own extras
    }
    assert data["inner"] == expected_inner  # and its plot-only field left out
    assert [i["outcome"] for i in data["inners"]] == ["first", "second"]
    assert data["inners"][0]["comparison"] == "x vs y"


def test_missing_is_converted_by_its_own_to_dict():
    missing = Missing(rows_total=10, rows_used=8, by_column={"score": np.int64(2)})
    data = _outer(missing=missing).to_dict()
    assert data["missing"] == {
        "rows_total": 10, "rows_used": 8, "rows_excluded": 2, "by_column": {"score": 2},
        "rule": "complete-case",
    }
    assert _outer(missing=None).to_dict()["missing"] is None


def test_fields_marked_not_in_json_are_left_out_but_kept_on_the_result():
    inner = _inner()
    assert "plot_only" not in inner.to_dict()
    assert inner.plot_only == [1.0, 2.0]
    assert "plot_only" not in jsonable(inner)


def test_to_dict_does_not_change_the_result_and_gives_the_same_answer_twice():
    result = _outer()
    first = result.to_dict()
    first["inner"]["a"]["label"] = "changed"
    assert result.to_dict()["inner"]["a"]["label"] == "x"
    assert result.inner.a.label == "x"


def test_effects_come_from_the_declarations_in_order():
    rows = _outer().effects()
    assert rows[0] == {
        "label": "score: difference", "estimate": 1.5, "lower": 0.5, "upper": 2.5,
        "scale": "difference", "method": "t interval",
    }
    assert rows[1] == {
        "label": "score: ratio, day 0", "estimate": 1.25, "lower": 0.75, "upper": 2.0,
        "scale": "ratio", "method": "a model",
    }
    assert rows[2]["label"] == "score: ratio, day 7.5"
    assert list(rows[0]) == ["label", "estimate", "lower", "upper", "scale", "method"]
    # Values are left for the forest plot to judge: NaN and infinity stay.
    assert math.isnan(rows[2]["estimate"]) and rows[2]["upper"] == math.inf


def test_effects_name_the_fallback_outcome_when_the_result_names_none():
    assert _outer(outcome="").effects()[0]["label"] == "the outcome: difference"
    assert _inner(outcome="").effects()[0]["label"] == ": shift"  # no fallback declared


def test_a_result_without_groups_can_drop_the_comparison_and_has_no_effects():
    @dataclass(frozen=True)
    class Counts(AnalysisResult):
        JSON_EXTRAS = ()

        total: np.int64

    result = Counts(np.int64(3))
    assert result.to_dict() == {"total": 3}
    assert result.effects() == []


def test_to_dict_needs_a_dataclass():
    class NotADataclass(AnalysisResult):
        pass

    with pytest.raises(TypeError, match="must be a dataclass"):
        NotADataclass().to_dict()


def test_class_attributes_of_the_base_are_not_dataclass_fields():
    assert "EFFECTS" not in {f.name for f in dataclasses.fields(Outer)}
    assert "OUTCOME_FALLBACK" not in {f.name for f in dataclasses.fields(Outer)}


def _result_classes() -> list[type[Any]]:
    classes = []
    for info in pkgutil.iter_modules(analysis.__path__):
        module = importlib.import_module(f"{analysis.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls is AnalysisResult or cls.__module__ != module.__name__:
                continue
            if "effects" in vars(cls) or issubclass(cls, AnalysisResult):
                classes.append(cls)
    return classes


def test_no_result_class_hand_writes_effects_or_to_dict():
    classes = {cls.__name__: cls for cls in _result_classes()}
    assert {
        "TwoProportionsResult", "SurvivalResult", "RankComparisonResult",
        "ChangeFromBaselineResult", "RepeatedMeasuresResult", "EnrollmentResult",
    } <= set(classes)
    for name, cls in classes.items():
        assert issubclass(cls, AnalysisResult), name
        assert dataclasses.is_dataclass(cls), name
        assert "effects" not in vars(cls) and "to_dict" not in vars(cls), name
        for effect in cls.EFFECTS:
            assert effect.field in {f.name for f in dataclasses.fields(cls)}, name
