"""Two proportions (28-day mortality, any serious adverse event): estimates, intervals and a test.

Group ``a`` is compared with group ``b``: the risk difference is p_a - p_b, the ratios are a / b.
Tests (all two-sided):

- ``fisher``: Fisher's exact test, p-value as R's ``fisher.test`` (tables as probable as the one
  observed, to a relative tolerance of 1e-7, count as extreme);
- ``chi2``: Pearson's chi-squared without continuity correction (R ``chisq.test(correct=FALSE)``);
- ``chi2-yates``: Pearson's chi-squared with Yates' correction (R ``chisq.test()``);
- ``auto`` (default): the rule published small trials use: Pearson's chi-squared unless an expected
  count is below 5, then Fisher's exact test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, fisher_exact

from ._base import (
    ENGLISH,
    AnalysisResult,
    Effect,
    Missing,
    Wording,
    binary_column,
    complete_cases,
    label,
    table,
    two_groups,
)
from .intervals import (
    Interval,
    conditional_odds_ratio,
    katz_relative_risk,
    newcombe_difference,
    wilson,
)

TESTS = ("auto", "fisher", "chi2", "chi2-yates")
TEST_NAMES = {
    "fisher": "Fisher's exact test (two-sided)",
    "chi2": "Pearson's chi-squared test without continuity correction",
    "chi2-yates": "Pearson's chi-squared test with Yates' continuity correction",
}
AUTO_RULE = "Pearson's chi-squared unless an expected count is below 5, then Fisher's exact test"


@dataclass(frozen=True)
class GroupProportion:
    label: str
    events: int
    n: int
    proportion: Interval


@dataclass(frozen=True)
class TestResult:
    name: str
    statistic: float | None
    df: int | None
    p_value: float | None
    chosen_by: str
    min_expected: float
    note: str = ""


@dataclass(frozen=True)
class TwoProportionsResult(AnalysisResult):
    """Counts, proportions and comparisons of two groups; ``a`` against ``b``."""

    EFFECTS = (
        Effect("risk_difference", "{outcome}: risk difference", "difference"),
        Effect("relative_risk", "{outcome}: relative risk", "ratio"),
        Effect("odds_ratio", "{outcome}: odds ratio", "ratio"),
    )
    OUTCOME_FALLBACK = "proportion"

    outcome: str
    a: GroupProportion
    b: GroupProportion
    risk_difference: Interval
    relative_risk: Interval
    odds_ratio: Interval
    test: TestResult
    level: float
    missing: Missing | None = None
    method: str = field(default="two proportions", init=False)

    def to_text(self, wording: Wording = ENGLISH) -> str:
        w, t = wording, wording.t
        pct = round(self.level * 100)
        a, b = self.a.label, self.b.label
        title = t("%(outcome)s: %(a)s vs %(b)s") % {"outcome": self.outcome or t("Outcome"),
                                                     "a": a, "b": b}
        rows = [
            [
                g.label,
                g.events,
                g.n,
                w.fmt(g.proportion.estimate),
                w.ci(g.proportion.lower, g.proportion.upper),
            ]
            for g in (self.a, self.b)
        ]
        groups = table([t("group"), t("events"), "n", t("proportion"),
                        t("%(pct)d%% CI (Wilson)") % {"pct": pct}], rows)
        names = {"a": a, "b": b}
        comparisons = table(
            [t("comparison"), t("estimate"), t("%(pct)d%% CI") % {"pct": pct}, t("method")],
            [
                [
                    t("risk difference (%(a)s - %(b)s)") % names,
                    w.fmt(self.risk_difference.estimate),
                    w.ci(self.risk_difference.lower, self.risk_difference.upper),
                    self.risk_difference.method,
                ],
                [
                    t("relative risk (%(a)s / %(b)s)") % names,
                    w.fmt(self.relative_risk.estimate),
                    w.ci(self.relative_risk.lower, self.relative_risk.upper),
                    self.relative_risk.method,
                ],
                [
                    t("odds ratio (%(a)s / %(b)s)") % names,
                    w.fmt(self.odds_ratio.estimate),
                    w.ci(self.odds_ratio.lower, self.odds_ratio.upper),
                    self.odds_ratio.method,
                ],
            ],
        )
        test = self.test
        stat = ("" if test.statistic is None else
                t("statistic %(statistic)s, df %(df)s, ") % {"statistic": w.fmt(test.statistic),
                                                            "df": test.df})
        lines = [
            title,
            "",
            groups,
            "",
            comparisons,
            "",
            t("Test: %(name)s; %(statistic)sp = %(p)s") % {"name": test.name, "statistic": stat,
                                                          "p": w.p(test.p_value)},
            "  " + t("chosen by: %(rule)s; smallest expected count %(count)s") % {
                "rule": test.chosen_by, "count": w.fmt(test.min_expected, 2)},
        ]
        if test.note:
            lines.append("  " + t("note: %(note)s") % {"note": test.note})
        if self.missing is not None:
            lines.append(self.missing.to_text(wording))
        return "\n".join(lines)


def _run_test(table_2x2: np.ndarray, test: str) -> TestResult:
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, got {test!r}")
    rows = table_2x2.sum(axis=1, keepdims=True)
    cols = table_2x2.sum(axis=0, keepdims=True)
    expected = rows * cols / table_2x2.sum()
    min_expected = float(expected.min())
    chosen_by = "--test " + test if test != "auto" else f"auto rule: {AUTO_RULE}"
    if test == "auto":
        test = "fisher" if min_expected < 5 else "chi2"
    name = TEST_NAMES[test]
    if test == "fisher":
        p = float(fisher_exact(table_2x2, alternative="two-sided").pvalue)
        return TestResult(name, None, None, min(p, 1.0), chosen_by, min_expected)
    if min_expected == 0:
        return TestResult(
            name,
            None,
            1,
            None,
            chosen_by,
            min_expected,
            "not defined: an expected count is zero (no events, or all events, in both groups)",
        )
    stat, p, dof, _ = chi2_contingency(table_2x2, correction=(test == "chi2-yates"))
    return TestResult(name, float(stat), int(dof), float(p), chosen_by, min_expected)


def two_proportions(
    events_a: int,
    n_a: int,
    events_b: int,
    n_b: int,
    *,
    label_a: str = "A",
    label_b: str = "B",
    test: str = "auto",
    level: float = 0.95,
    outcome: str = "",
    missing: Missing | None = None,
) -> TwoProportionsResult:
    """Compare ``events_a / n_a`` with ``events_b / n_b``; labels are used exactly as given."""
    for name, value in (
        ("events_a", events_a),
        ("n_a", n_a),
        ("events_b", events_b),
        ("n_b", n_b),
    ):
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be a whole number, not negative; got {value}")
    if n_a == 0 or n_b == 0:
        raise ValueError("each group needs at least one participant (n_a and n_b > 0)")
    if events_a > n_a or events_b > n_b:
        raise ValueError("events cannot exceed the group size")
    events_a, n_a, events_b, n_b = int(events_a), int(n_a), int(events_b), int(n_b)
    table_2x2 = np.array([[events_a, n_a - events_a], [events_b, n_b - events_b]])
    return TwoProportionsResult(
        outcome=outcome,
        a=GroupProportion(label_a, events_a, n_a, wilson(events_a, n_a, level)),
        b=GroupProportion(label_b, events_b, n_b, wilson(events_b, n_b, level)),
        risk_difference=newcombe_difference(events_a, n_a, events_b, n_b, level),
        relative_risk=katz_relative_risk(events_a, n_a, events_b, n_b, level),
        odds_ratio=conditional_odds_ratio(events_a, n_a, events_b, n_b, level),
        test=_run_test(table_2x2, test),
        level=level,
        missing=missing,
    )


def two_proportions_from_frame(
    frame: pd.DataFrame,
    *,
    group: str,
    event: str,
    groups: tuple[Any, Any] | list[Any] | None = None,
    test: str = "auto",
    level: float = 0.95,
    outcome: str = "",
) -> TwoProportionsResult:
    """Count events (column ``event``, 0/1) per group (column ``group``, exactly two labels).

    Rows missing either column are left out and counted (complete-case).
    """
    data, missing = complete_cases(frame, [group, event])
    events = binary_column(data[event], event)
    first, second = two_groups(data[group], group, groups)
    in_a = (data[group] == first).to_numpy()
    in_b = (data[group] == second).to_numpy()
    return two_proportions(
        int(events[in_a].sum()),
        int(in_a.sum()),
        int(events[in_b].sum()),
        int(in_b.sum()),
        label_a=label(first),
        label_b=label(second),
        test=test,
        level=level,
        outcome=outcome or event,
        missing=missing,
    )
