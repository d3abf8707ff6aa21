"""The analysis results' ``to_dict()`` and ``effects()`` stay exactly what they were.

``reference/result_outputs.json`` holds the output of every result class on fixed data (the R and
published examples the other analysis tests use), recorded before the results shared a base class.
Keys, their order, strings, integers and None must match exactly; floats to 1e-9 relative (the
mixed model's optimizer: 1e-6), so that a different BLAS or CPU does not fail the test while any
change of formula or field does.

If an output is changed on purpose, record it again with
``.venv/bin/python tests/stats/analysis/test_analysis_result_outputs.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trialdesk.stats.analysis import (
    change_from_baseline,
    rank_comparison,
    repeated_measures,
    survival_analysis,
    two_proportions,
    two_proportions_from_frame,
    ventilator_free_days_analysis,
)
from trialdesk.stats.analysis.enrollment import enrollment_over_time

RECORDED = Path(__file__).parent / "reference" / "result_outputs.json"

# R's survival::aml (as in test_analysis_survival.py).
AML = pd.DataFrame(
    {
        "time": [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33,
                 43, 45],
        "status": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
        "x": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
    }
)
# R's ?wilcox.test example and ventilator-free days with ties (as in test_analysis_vfd.py).
X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
Y = [1.15, 0.88, 0.90, 0.74, 1.21]
VFD_A = [0, 0, 0, 12, 15, 18, 20, 21, 22, 22, 23, 24, 25, 0, 19]
VFD_B = [0, 0, 0, 0, 5, 10, 14, 16, 18, 18, 20, 21, 0, 0, 12, 17]
# PaO2/FiO2 with two missing follow-ups (as in test_analysis_continuous.py).
PF = pd.DataFrame(
    {
        "arm": ["group 1"] * 11 + ["group 2"] * 10,
        "pf_d0": [110, 95, 150, 130, 88, 160, 120, 105, 140, 99, 118,
                  100, 125, 90, 145, 115, 135, 108, 97, 128, 112],
        "pf_d7": [180, 120, 210, None, 150, 230, 160, 140, 200, 130, 175,
                  130, 170, 100, 190, 140, None, 150, 115, 160, 150],
    }
)
# IL-6 with two results below the limit of detection (as in test_analysis_repeated.py).
IL6_ROWS = """
P00 1 0:19.9 3:15.4 7:6.4 14:4.2
P01 2 0:11.4 3:8.1 7:9.2 14:2.8
P02 1 0:25.8 3:27.4 7:15.6 14:8.8
P03 2 0:20.5 3:12.7 14:8.3
P04 1 0:12.7 3:8.2 7:12.1 14:5.1
P05 2 0:3.5 3:3.5 7:2.3 14:<2
P06 1 0:17.0 3:9.3 7:5.9
P07 2 0:19.0 3:11.8 7:13.5 14:12.2
P08 1 0:8.3 3:10.1 7:7.3 14:6.1
P09 2 0:5.1 7:3.6 14:<2
P10 1 0:15.6 3:8.1 7:12.9 14:6.5
P11 2 0:19.2 3:20.7 7:7.9 14:11.8
P12 1 0:8.9 3:15.1 7:9.2 14:8.1
P13 2 0:9.7 3:9.8 7:5.4 14:6.9
"""


def _il6() -> pd.DataFrame:
    lines = ["id,arm,day,il6"]
    for row in IL6_ROWS.strip().splitlines():
        pid, arm, *visits = row.split()
        lines += [f"{pid},group {arm},{v.replace(':', ',')}" for v in visits]
    return pd.read_csv(io.StringIO("\n".join(lines)))


def _ranks(a: list[float], b: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"vfd": a + b, "arm": ["group 1"] * len(a) + ["group 2"] * len(b)})


def results() -> dict[str, Any]:
    """Each result class on fixed data, with the cases its labels and missing data branch on."""
    mortality = pd.DataFrame(
        {"arm": ["group 1"] * 6 + ["group 2"] * 6 + [None],
         "died": [1, 0, 0, 1, None, 0, 1, 1, 1, 0, 1, 0, 1]}
    )
    return {
        "two_proportions_counts": two_proportions(
            2, 10, 6, 11, label_a="group 1", label_b="group 2"
        ),
        "two_proportions_frame": two_proportions_from_frame(
            mortality, group="arm", event="died", outcome="28-day mortality"
        ),
        "survival": survival_analysis(
            AML, time="time", event="status", group="x", groups=["Nonmaintained", "Maintained"],
            at=[10, 30],
        ),
        "rank_comparison": rank_comparison(_ranks(X, Y), value="vfd", group="arm"),
        "ventilator_free_days": ventilator_free_days_analysis(
            _ranks(VFD_A, VFD_B), vfd="vfd", group="arm"
        ),
        "change_from_baseline": change_from_baseline(
            PF, group="arm", baseline="pf_d0", followup="pf_d7"
        ),
        "repeated_measures": repeated_measures(
            _il6(), participant="id", group="arm", day="day", value="il6", lod=2.0,
            outcome="IL-6",
        ),
        "enrollment": enrollment_over_time(
            pd.DataFrame({
                "when": [pd.Timestamp("2026-01-05 09:00"), dt.date(2026, 1, 5),
                         dt.date(2026, 1, 7), dt.date(2026, 1, 6), None],
                "site": ["CO-02", "CO-01", "CO-01", "CO-02", "CO-01"],
            }),
            date="when", site="site", target=40,
        ),
    }


def outputs() -> dict[str, Any]:
    # Enrollment compares no groups: it had no effects() and now has none to give.
    return {
        name: {"to_dict": result.to_dict(),
               "effects": result.effects() if hasattr(result, "effects") else []}
        for name, result in results().items()
    }


def assert_same(actual: Any, expected: Any, where: str = "", rel: float = 1e-9) -> None:
    """Equal in type, keys and key order; floats to ``rel`` relative (1e-12 absolute near
    zero)."""
    if isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-12), where
        return
    assert type(actual) is type(expected), f"{where}: {type(actual)} != {type(expected)}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}", rel)
    elif isinstance(expected, list):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{i}]", rel)
    else:
        assert actual == expected, where


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    # Through JSON, as every caller sends it: this also proves the output is JSON.
    return json.loads(json.dumps(outputs(), allow_nan=False))


CASES = (
    "two_proportions_counts", "two_proportions_frame", "survival", "rank_comparison",
    "ventilator_free_days", "change_from_baseline", "repeated_measures", "enrollment",
)


# The mixed model is fitted by an iterative optimizer (REML): where it stops depends on the
# floating point of the machine, and its intervals differed from the recording by 3e-8 relative
# on another CPU (same library versions). A change of formula moves them far more.
RELATIVE_TOLERANCE = {"repeated_measures": 1e-6}


@pytest.mark.parametrize("name", CASES)
def test_to_dict_and_effects_are_unchanged(current, name):
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))[name]
    rel = RELATIVE_TOLERANCE.get(name, 1e-9)
    assert_same(current[name]["to_dict"], recorded["to_dict"], f"{name}.to_dict", rel)
    assert_same(current[name]["effects"], recorded["effects"], f"{name}.effects", rel)


def test_every_result_class_is_recorded():
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    classes = {type(r).__name__ for r in results().values()}
    assert classes == {
        "TwoProportionsResult", "SurvivalResult", "RankComparisonResult",
        "ChangeFromBaselineResult", "RepeatedMeasuresResult", "EnrollmentResult",
    }
    assert list(recorded) == list(results()) == list(CASES)


def test_to_dict_is_built_without_mutating_the_result():
    # to_dict() twice gives the same answer (nothing popped from shared state).
    for result in results().values():
        assert result.to_dict() == result.to_dict()


if __name__ == "__main__":  # record the outputs again (after an intended change)
    RECORDED.write_text(
        json.dumps(outputs(), indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
