"""Change from baseline (PaO2/FiO2 day 0 to day 7): ANCOVA adjusted for baseline.

Model (statsmodels OLS, formula ``change ~ group_a + baseline``): the change (follow-up minus
baseline) on an indicator of group ``a`` and the baseline value. The coefficient of the indicator
is the baseline-adjusted difference a - b, with its t interval; the same difference as the ANCOVA
of the follow-up value itself (R: ``lm(change ~ group + baseline)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._base import (
    ENGLISH,
    AnalysisInputError,
    AnalysisResult,
    Effect,
    Missing,
    Wording,
    complete_cases,
    label,
    numeric_column,
    table,
    two_groups,
)

ANCOVA_METHOD = "ANCOVA: OLS of change on group and baseline (statsmodels), t interval"


@dataclass(frozen=True)
class GroupChange:
    label: str
    n: int
    baseline_mean: float
    baseline_sd: float
    followup_mean: float
    followup_sd: float
    change_mean: float
    change_sd: float


@dataclass(frozen=True)
class AdjustedDifference:
    estimate: float
    lower: float
    upper: float
    se: float
    t: float
    df: float
    p_value: float
    baseline_slope: float
    method: str = ANCOVA_METHOD


@dataclass(frozen=True)
class ChangeFromBaselineResult(AnalysisResult):
    EFFECTS = (Effect("difference", "{outcome}: adjusted difference in change", "difference"),)

    outcome: str
    a: GroupChange
    b: GroupChange
    difference: AdjustedDifference
    level: float
    missing: Missing
    method: str = field(default="change from baseline, ANCOVA", init=False)

    def to_text(self, wording: Wording = ENGLISH) -> str:
        w, t = wording, wording.t
        pct = round(self.level * 100)
        names = {"a": self.a.label, "b": self.b.label}
        rows = [
            [
                g.label,
                g.n,
                f"{w.fmt(g.baseline_mean, 2)} ({w.fmt(g.baseline_sd, 2)})",
                f"{w.fmt(g.followup_mean, 2)} ({w.fmt(g.followup_sd, 2)})",
                f"{w.fmt(g.change_mean, 2)} ({w.fmt(g.change_sd, 2)})",
            ]
            for g in (self.a, self.b)
        ]
        d = self.difference
        return "\n".join(
            [
                t("%(outcome)s: %(a)s vs %(b)s") % {"outcome": self.outcome, **names},
                "",
                table(
                    [t("group"), "n", t("baseline mean (SD)"), t("follow-up mean (SD)"),
                     t("change mean (SD)")],
                    rows,
                ),
                "",
                t("Adjusted difference in change (%(a)s - %(b)s): %(estimate)s (%(ci)s "
                  "%(interval)s), t = %(t)s on %(df)s df, p = %(p)s") % {
                    **names, "estimate": w.fmt(d.estimate, 2),
                    "ci": t("%(pct)d%% CI") % {"pct": pct},
                    "interval": w.ci(d.lower, d.upper, 2), "t": w.fmt(d.t, 3),
                    "df": w.number(f"{d.df:g}"), "p": w.p(d.p_value)},
                t("Baseline slope: %(slope)s") % {"slope": w.fmt(d.baseline_slope, 4)},
                t("Method: %(method)s") % {"method": d.method},
                self.missing.to_text(wording),
            ]
        )


def _group_change(name: str, base: np.ndarray, follow: np.ndarray) -> GroupChange:
    change = follow - base

    def sd(x: np.ndarray) -> float:
        return float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")

    return GroupChange(
        name, len(base), float(base.mean()), sd(base), float(follow.mean()), sd(follow),
        float(change.mean()), sd(change),
    )


def change_from_baseline(
    frame: pd.DataFrame,
    *,
    group: str,
    baseline: str,
    followup: str,
    groups: tuple[Any, Any] | list[Any] | None = None,
    level: float = 0.95,
    outcome: str = "",
) -> ChangeFromBaselineResult:
    """ANCOVA of the change from ``baseline`` to ``followup``, adjusted for baseline."""
    import statsmodels.formula.api as smf

    data, missing = complete_cases(frame, [group, baseline, followup])
    base = numeric_column(data[baseline], baseline)
    follow = numeric_column(data[followup], followup)
    first, second = two_groups(data[group], group, groups)
    is_a = (data[group] == first).to_numpy()
    model_frame = pd.DataFrame(
        {"change": follow - base, "group_a": is_a.astype(float), "baseline": base}
    )
    if len(model_frame) < 4 or is_a.sum() < 1 or (~is_a).sum() < 1:
        raise AnalysisInputError(group, "needs at least one participant per group and 4 in all")
    fit = smf.ols("change ~ group_a + baseline", data=model_frame).fit()
    lower, upper = fit.conf_int(alpha=1 - level).loc["group_a"]
    difference = AdjustedDifference(
        estimate=float(fit.params["group_a"]),
        lower=float(lower),
        upper=float(upper),
        se=float(fit.bse["group_a"]),
        t=float(fit.tvalues["group_a"]),
        df=float(fit.df_resid),
        p_value=float(fit.pvalues["group_a"]),
        baseline_slope=float(fit.params["baseline"]),
    )
    return ChangeFromBaselineResult(
        outcome=outcome or f"{followup} - {baseline}",
        a=_group_change(label(first), base[is_a], follow[is_a]),
        b=_group_change(label(second), base[~is_a], follow[~is_a]),
        difference=difference,
        level=level,
        missing=missing,
    )
