"""Time to event (death to day 28): Kaplan-Meier, log-rank test, Cox proportional hazards.

All estimation is lifelines':

- Kaplan-Meier estimates with Greenwood variance and log(-log) ("exponential Greenwood")
  pointwise intervals (lifelines' default; R ``survfit(conf.type = "log-log")``, SAS's default);
- the log-rank test (R ``survdiff``);
- the Cox model with one indicator, group ``a`` against reference group ``b``; lifelines uses
  Efron's method for ties, as R's ``coxph`` does by default; Wald interval and p-value.

Medians and their intervals are read off lifelines' curves with R's rule (``quantile.survfit``):
the first time the curve reaches 0.5, or the midpoint to the next time where it stays at exactly 0.5
over an interval; the interval's limits are the same read off the lower and upper bands.

Censoring is the caller's: ``event`` is 1 for the event (death) and 0 for censored (discharged
alive before day 28, lost to follow-up), with ``time`` the day of the event or of censoring.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._base import (
    ENGLISH,
    NOT_IN_JSON,
    AnalysisInputError,
    AnalysisResult,
    Effect,
    Missing,
    Wording,
    binary_column,
    complete_cases,
    label,
    numeric_column,
    table,
    two_groups,
)

KM_METHOD = (
    "Kaplan-Meier (lifelines), Greenwood variance, log(-log) pointwise interval "
    '(R survfit conf.type = "log-log")'
)
MEDIAN_METHOD = "R quantile.survfit rule on the Kaplan-Meier curve and its interval bands"
LOGRANK_METHOD = "log-rank test (lifelines; R survdiff)"
COX_METHOD = "Cox proportional hazards (lifelines), Efron ties as R coxph, Wald interval"


@dataclass(frozen=True)
class SurvivalAt:
    time: float
    survival: float | None
    lower: float | None
    upper: float | None
    at_risk: int


@dataclass(frozen=True)
class GroupSurvival:
    label: str
    n: int
    events: int
    median: float | None
    median_lower: float | None
    median_upper: float | None
    at_times: list[SurvivalAt]
    # The step curve: time, survival, lower and upper band, number at risk just before the time.
    # The curves are for plotting; the JSON keeps to the figures.
    curve_time: list[float] = field(metadata=NOT_IN_JSON)
    curve_survival: list[float] = field(metadata=NOT_IN_JSON)
    curve_lower: list[float] = field(metadata=NOT_IN_JSON)
    curve_upper: list[float] = field(metadata=NOT_IN_JSON)
    censor_times: list[float] = field(metadata=NOT_IN_JSON)
    # Every follow-up time, for the numbers at risk.
    durations: list[float] = field(metadata=NOT_IN_JSON)


@dataclass(frozen=True)
class LogRank:
    statistic: float | None
    df: int
    p_value: float | None
    method: str = LOGRANK_METHOD


@dataclass(frozen=True)
class HazardRatio:
    estimate: float | None
    lower: float | None
    upper: float | None
    coef: float | None
    se: float | None
    p_value: float | None
    method: str = COX_METHOD
    note: str = ""


@dataclass(frozen=True)
class SurvivalResult(AnalysisResult):
    EFFECTS = (Effect("hazard_ratio", "{outcome}: hazard ratio", "ratio"),)
    OUTCOME_FALLBACK = "time to event"

    outcome: str
    a: GroupSurvival
    b: GroupSurvival
    logrank: LogRank
    hazard_ratio: HazardRatio
    level: float
    missing: Missing
    km_method: str = KM_METHOD
    median_method: str = MEDIAN_METHOD
    method: str = field(default="time to event", init=False)

    def to_text(self, wording: Wording = ENGLISH) -> str:
        w, t = wording, wording.t
        pct = round(self.level * 100)
        ci = t("%(pct)d%% CI") % {"pct": pct}
        names = {"a": self.a.label, "b": self.b.label}
        rows = [
            [
                g.label,
                g.n,
                g.events,
                w.fmt(g.median, 1),
                w.ci(g.median_lower, g.median_upper, 1),
            ]
            for g in (self.a, self.b)
        ]
        lines = [
            t("%(outcome)s: %(a)s vs %(b)s") % {"outcome": self.outcome or t("Time to event"),
                                                **names},
            "",
            table([t("group"), "n", t("events"), t("median"), ci], rows),
        ]
        at_rows = []
        for g in (self.a, self.b):
            for s in g.at_times:
                at_rows.append(
                    [g.label, w.fmt(s.time, 1), s.at_risk, w.fmt(s.survival),
                     w.ci(s.lower, s.upper)]
                )
        if at_rows:
            lines += [
                "",
                table([t("group"), t("time"), t("at risk"), t("survival"), ci], at_rows),
            ]
        hr = self.hazard_ratio
        lines += [
            "",
            t("Kaplan-Meier: %(method)s") % {"method": self.km_method},
            t("Median: %(method)s") % {"method": self.median_method},
            t("Log-rank: chi-squared %(statistic)s, df %(df)s, p = %(p)s") % {
                "statistic": w.fmt(self.logrank.statistic), "df": self.logrank.df,
                "p": w.p(self.logrank.p_value)},
            t("Hazard ratio (%(a)s / %(b)s): %(estimate)s (%(ci)s %(interval)s), p = %(p)s; "
              "%(method)s") % {**names, "estimate": w.fmt(hr.estimate), "ci": ci,
                               "interval": w.ci(hr.lower, hr.upper), "p": w.p(hr.p_value),
                               "method": hr.method},
        ]
        if hr.note:
            lines.append("  " + t("note: %(note)s") % {"note": hr.note})
        lines.append(self.missing.to_text(wording))
        return "\n".join(lines)

    def plot(self, path: str | Path, *, time_label: str = "Days", ticks=None,
             **words: str) -> Path:
        """The Kaplan-Meier plot; ``words`` are plot_kaplan_meier's texts (title, labels)."""
        from .km_plot import plot_kaplan_meier

        return plot_kaplan_meier(self, path, time_label=time_label, ticks=ticks, **words)


_TOLERANCE = math.sqrt(np.finfo(float).eps)  # R: sqrt(.Machine$double.eps)


def _findq(
    x: np.ndarray, y: np.ndarray, p: float, xmax: float, tol: float = _TOLERANCE
) -> float | None:
    """R survival:::findq for one probability: x times, y cumulative failure (1 - S)."""
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    if len(y) == 0 or np.max(y) < p:
        return None
    _, first = np.unique(y, return_index=True)  # drop repeated y values, keep the first time
    first.sort()
    x, y = x[first], y[first]

    def constant_f1(knots: np.ndarray) -> int | None:
        # approx(knots, 1:n, p, method = "constant", f = 1): index of the first knot >= p
        if p < knots[0] or p > knots[-1]:
            return None
        return int(np.searchsorted(knots, p, side="left"))

    i1 = constant_f1(y + tol)
    i2 = constant_f1(y - tol)
    if abs(p - y[-1]) < tol and i1 is not None:
        return float((x[i1] + xmax) / 2)
    if i1 is None or i2 is None:
        return None
    return float((x[i1] + x[i2]) / 2)


def _group_survival(kmf, durations: np.ndarray, events: np.ndarray, name: str, at, level: float):
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_survival_function_
    lower = ci.iloc[:, 0].to_numpy(dtype=float)
    upper = ci.iloc[:, 1].to_numpy(dtype=float)
    times = sf.index.to_numpy(dtype=float)
    surv = sf.to_numpy(dtype=float)
    # Where the estimate is 0 the log(-log) band is undefined; R reports NA there, so do we.
    lower[surv <= 0] = np.nan
    upper[surv <= 0] = np.nan
    xmax = float(times[-1])
    x = np.concatenate([[0.0], times])

    def quantile(curve: np.ndarray):
        return _findq(x, np.concatenate([[0.0], 1 - curve]), 0.5, xmax)

    at_rows = []
    for t in at:
        t = float(t)
        at_risk = int(np.sum(durations >= t))
        if t > xmax:
            at_rows.append(SurvivalAt(t, None, None, None, at_risk))
            continue
        idx = int(np.searchsorted(times, t, side="right") - 1)
        at_rows.append(
            SurvivalAt(
                t,
                float(surv[idx]),
                None if math.isnan(lower[idx]) else float(lower[idx]),
                None if math.isnan(upper[idx]) else float(upper[idx]),
                at_risk,
            )
        )
    return GroupSurvival(
        label=name,
        n=len(durations),
        events=int(events.sum()),
        median=quantile(surv),
        median_lower=quantile(lower),
        median_upper=quantile(upper),
        at_times=at_rows,
        curve_time=times.tolist(),
        curve_survival=surv.tolist(),
        curve_lower=lower.tolist(),
        curve_upper=upper.tolist(),
        censor_times=sorted(durations[events == 0].tolist()),
        durations=durations.tolist(),
    )


def _cox(durations, events, is_a, level: float) -> HazardRatio:
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    events_a = int(events[is_a == 1].sum())
    events_b = int(events[is_a == 0].sum())
    if events_a == 0 or events_b == 0:
        return HazardRatio(
            None, None, None, None, None, None,
            note="not estimable: a group has no events (the estimate is 0 or infinite)",
        )
    frame = pd.DataFrame({"T": durations, "E": events, "a": is_a.astype(float)})
    fitter = CoxPHFitter(alpha=1 - level)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            fitter.fit(frame, duration_col="T", event_col="E")
    except (ConvergenceError, ConvergenceWarning) as error:
        return HazardRatio(None, None, None, None, None, None, note=f"did not converge: {error}")
    row = fitter.summary.loc["a"]
    coef, se = float(row["coef"]), float(row["se(coef)"])
    return HazardRatio(
        estimate=float(math.exp(coef)),
        lower=float(row.filter(like="exp(coef) lower").iloc[0]),
        upper=float(row.filter(like="exp(coef) upper").iloc[0]),
        coef=coef,
        se=se,
        p_value=float(row["p"]),
    )


def survival_analysis(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str,
    groups: tuple[Any, Any] | list[Any] | None = None,
    at: list[float] | tuple[float, ...] = (),
    level: float = 0.95,
    outcome: str = "",
) -> SurvivalResult:
    """Kaplan-Meier per group, log-rank test and Cox hazard ratio of group ``a`` vs ``b``.

    ``time`` must be a non-negative number, ``event`` 0/1 (1 = event, 0 = censored), ``group``
    exactly two labels (``groups`` fixes their order; the second is the Cox reference).
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    data, missing = complete_cases(frame, [time, event, group])
    durations = numeric_column(data[time], time, nonnegative=True)
    events = binary_column(data[event], event)
    first, second = two_groups(data[group], group, groups)
    is_a = (data[group] == first).to_numpy().astype(int)
    for t in at:
        if t < 0:
            raise AnalysisInputError("at", f"times must not be negative (got {t:g})")

    results = []
    for flag, value in ((1, first), (0, second)):
        mask = is_a == flag
        kmf = KaplanMeierFitter(alpha=1 - level)
        kmf.fit(durations[mask], events[mask], label=label(value))
        results.append(
            _group_survival(kmf, durations[mask], events[mask], label(value), at, level)
        )

    if events.sum() == 0:
        logrank = LogRank(None, 1, None)
    else:
        lr = logrank_test(
            durations[is_a == 1], durations[is_a == 0], events[is_a == 1], events[is_a == 0]
        )
        logrank = LogRank(float(lr.test_statistic), 1, float(lr.p_value))
    return SurvivalResult(
        outcome=outcome or event,
        a=results[0],
        b=results[1],
        logrank=logrank,
        hazard_ratio=_cox(durations, events, is_a, level),
        level=level,
        missing=missing,
    )
