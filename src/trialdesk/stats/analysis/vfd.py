"""Ventilator-free days to day 28: derivation, Mann-Whitney test, Hodges-Lehmann shift.

Derivation (Schoenfeld and Bernard 2002): a participant who dies on or before the horizon day
(day 28; the deaths that count toward 28-day mortality) has 0 ventilator-free days; a survivor has
``horizon`` minus the days on mechanical ventilation between day 0 and the horizon. Ventilation is
given as periods with a start day and a stop day (days since randomization, day 0); a period with
no stop day lasts to the horizon; overlapping periods count once. This is the rule for day
numbers given as data (``trialdesk analyze vfd``); a trial's own forms derive the value by the
protocol's declared rule (:mod:`trialdesk.protocol.derivations`: whole calendar days from the
recorded episodes' dates and times), and the analysis then takes it as given (``--vfd``).

Test: Mann-Whitney (Wilcoxon rank-sum), two-sided, with the choice R's ``wilcox.test`` makes: the
exact distribution when there are no ties and both groups have fewer than 50 values, otherwise the
normal approximation with tie and continuity corrections (scipy ``mannwhitneyu``). The shift and
its interval: :mod:`trialdesk.stats.analysis.hodges_lehmann`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

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
    require_columns,
    table,
    two_groups,
)
from .hodges_lehmann import HodgesLehmann, hodges_lehmann

HORIZON = 28


def ventilator_free_days(
    periods: Iterable[tuple[float, float | None]],
    death_day: float | None,
    horizon: float = HORIZON,
) -> float:
    """Ventilator-free days of one participant; ``periods`` are (start day, stop day or None)."""
    if death_day is not None and not _is_nan(death_day):
        if death_day < 0:
            raise ValueError(f"death day must not be negative, got {death_day}")
        if death_day <= horizon:
            return 0.0
    intervals = []
    for start, stop in periods:
        if start is None or _is_nan(start):
            continue
        stop = horizon if stop is None or _is_nan(stop) else stop
        if stop < start:
            raise ValueError(f"ventilation stops (day {stop}) before it starts (day {start})")
        lo, hi = max(float(start), 0.0), min(float(stop), float(horizon))
        if hi > lo:
            intervals.append((lo, hi))
    ventilated = 0.0
    current_lo = current_hi = None
    for lo, hi in sorted(intervals):
        if current_hi is None or lo > current_hi:
            if current_hi is not None:
                ventilated += current_hi - current_lo
            current_lo, current_hi = lo, hi
        else:
            current_hi = max(current_hi, hi)
    if current_hi is not None:
        ventilated += current_hi - current_lo
    return float(horizon - ventilated)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def derive_ventilator_free_days(
    frame: pd.DataFrame,
    *,
    participant: str,
    start: str,
    stop: str,
    death_day: str,
    horizon: float = HORIZON,
) -> pd.Series:
    """Ventilator-free days per participant from one row per ventilation period.

    A participant never ventilated has one row with an empty ``start``. ``death_day`` is empty for
    a participant alive at the horizon; it must be the same on every row of a participant.
    """
    require_columns(frame, [participant, start, stop, death_day])
    result = {}
    for pid, rows in frame.groupby(participant, sort=True):
        deaths = pd.to_numeric(rows[death_day], errors="coerce").dropna().unique()
        if len(deaths) > 1:
            raise AnalysisInputError(
                death_day, f"participant {pid!r} has more than one death day"
            )
        death = float(deaths[0]) if len(deaths) else None
        periods = [
            (
                None if pd.isna(a) else float(a),
                None if pd.isna(b) else float(b),
            )
            for a, b in zip(rows[start], rows[stop], strict=True)
        ]
        try:
            result[pid] = ventilator_free_days(periods, death, horizon)
        except ValueError as error:
            raise AnalysisInputError(f"{start}/{stop}/{death_day}", f"{pid!r}: {error}") from error
    return pd.Series(result, name="ventilator_free_days", dtype=float)


@dataclass(frozen=True)
class GroupSummary:
    label: str
    n: int
    median: float
    q1: float
    q3: float
    mean: float
    zero_count: int


@dataclass(frozen=True)
class MannWhitney:
    u_statistic: float
    p_value: float
    method: str


@dataclass(frozen=True)
class RankComparisonResult(AnalysisResult):
    """Two groups compared by ranks: Mann-Whitney U, Hodges-Lehmann shift ``a - b``."""

    EFFECTS = (
        Effect("shift", "{outcome}: Hodges-Lehmann shift", "difference",
               method="interval_method"),
    )

    outcome: str
    a: GroupSummary
    b: GroupSummary
    test: MannWhitney
    shift: HodgesLehmann
    level: float
    missing: Missing
    method: str = field(default="Mann-Whitney test with Hodges-Lehmann shift", init=False)

    def to_text(self, wording: Wording = ENGLISH) -> str:
        w, t = wording, wording.t
        pct = round(self.level * 100)
        names = {"a": self.a.label, "b": self.b.label}
        rows = [
            [g.label, g.n, w.fmt(g.median, 1), w.ci(g.q1, g.q3, 1), w.fmt(g.mean, 2),
             g.zero_count]
            for g in (self.a, self.b)
        ]
        s = self.shift
        lines = [
            t("%(outcome)s: %(a)s vs %(b)s") % {"outcome": self.outcome, **names},
            "",
            table([t("group"), "n", t("median"), t("IQR"), t("mean"), t("zeros")], rows),
            "",
            t("Mann-Whitney U = %(u)s, p = %(p)s (%(method)s)") % {
                "u": w.fmt(self.test.u_statistic, 1), "p": w.p(self.test.p_value),
                "method": self.test.method},
            t("Hodges-Lehmann shift (%(a)s - %(b)s): %(estimate)s (%(ci)s %(interval)s); "
              "interval %(method)s") % {
                **names, "estimate": w.fmt(s.estimate, 2),
                "ci": t("%(pct)d%% CI") % {"pct": pct}, "interval": w.ci(s.lower, s.upper, 2),
                "method": s.interval_method},
        ]
        if s.achieved_level is not None and abs(s.achieved_level - self.level) > 1e-9:
            lines.append("  " + t("achieved confidence level of the exact interval: %(level)s")
                         % {"level": w.fmt(s.achieved_level)})
        lines.append(self.missing.to_text(wording))
        return "\n".join(lines)


def _summary(name: str, values: np.ndarray) -> GroupSummary:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return GroupSummary(
        name, len(values), float(med), float(q1), float(q3), float(values.mean()),
        int(np.sum(values == 0)),
    )


def rank_comparison(
    frame: pd.DataFrame,
    *,
    value: str,
    group: str,
    groups: tuple[Any, Any] | list[Any] | None = None,
    level: float = 0.95,
    outcome: str = "",
    nonnegative: bool = False,
) -> RankComparisonResult:
    """Mann-Whitney test and Hodges-Lehmann shift of ``value`` between the two groups."""
    data, missing = complete_cases(frame, [value, group])
    values = numeric_column(data[value], value, nonnegative=nonnegative)
    first, second = two_groups(data[group], group, groups)
    a = values[(data[group] == first).to_numpy()]
    b = values[(data[group] == second).to_numpy()]
    ties = len(np.unique(values)) < len(values)
    if not ties and len(a) < 50 and len(b) < 50:
        test = mannwhitneyu(a, b, alternative="two-sided", method="exact")
        method = "exact (no ties, both groups < 50; as R wilcox.test)"
    else:
        test = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
        method = "normal approximation, tie and continuity corrections (as R wilcox.test)"
    return RankComparisonResult(
        outcome=outcome or value,
        a=_summary(label(first), a),
        b=_summary(label(second), b),
        test=MannWhitney(float(test.statistic), float(test.pvalue), method),
        shift=hodges_lehmann(a, b, level),
        level=level,
        missing=missing,
    )


def ventilator_free_days_analysis(
    frame: pd.DataFrame,
    *,
    vfd: str,
    group: str,
    groups: tuple[Any, Any] | list[Any] | None = None,
    level: float = 0.95,
    horizon: float = HORIZON,
) -> RankComparisonResult:
    """Compare ventilator-free days (column ``vfd``, 0 to ``horizon``) between two groups."""
    data, _ = complete_cases(frame, [vfd])
    values = numeric_column(data[vfd], vfd)
    if np.any((values < 0) | (values > horizon)):
        raise AnalysisInputError(vfd, f"ventilator-free days must lie between 0 and {horizon:g}")
    return rank_comparison(
        frame, value=vfd, group=group, groups=groups, level=level,
        outcome=f"ventilator-free days to day {horizon:g}",
    )
