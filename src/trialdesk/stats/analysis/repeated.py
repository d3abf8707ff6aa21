"""Repeated measures (IL-1 beta, IL-6, TNF-alpha, IL-10 to day 14): mixed model on the log scale.

Model: log(value) ~ group_a + day + group_a x day (day as a factor, the first day the reference),
with a random intercept per participant, fitted by REML. The geometric mean ratio a / b at each day
is exp(beta_group + beta_group:day) with a Wald (normal) interval, as statsmodels reports for
MixedLM. Geometric means by group and day are the observed ones, exp(mean of log values), with a
t interval.

Two engines fit the same model and give the same numbers (a test checks them against each other
and against R's ``nlme::lme``):

- ``"profile"`` (default): the REML likelihood of a random-intercept model in closed form, with the
  fixed effects and residual variance profiled out, maximised over the one variance ratio. It is
  vectorised over participants, so 10,000 participants take milliseconds.
- ``"statsmodels"``: ``statsmodels`` MixedLM. Its likelihood loops over participants in Python:
  about 7 seconds for 10,000 participants with 4 visits.

Values below the limit of detection (LOD) follow a declared rule: ``half`` (LOD / 2, default),
``lod`` (the LOD itself) or ``sqrt2`` (LOD / sqrt 2). A value is below the LOD when it is smaller
than the LOD given (a number, or a column for a per-sample LOD) or written as text "<x" (then x is
its LOD). How many values were replaced, per group and day, is part of the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.stats import chi2, norm
from scipy.stats import t as t_dist

from ._base import (
    ENGLISH,
    AnalysisInputError,
    AnalysisResult,
    Effect,
    Missing,
    Wording,
    label,
    require_columns,
    table,
    two_groups,
)

LOD_RULES = {"half": 0.5, "lod": 1.0, "sqrt2": 1 / math.sqrt(2)}
ENGINES = ("profile", "statsmodels")
MODEL = (
    "linear mixed model on log values: group, day (factor), group x day; random intercept per "
    "participant; REML; Wald intervals"
)


@dataclass(frozen=True)
class GeometricMean:
    group: str
    day: float
    n: int
    below_lod: int
    geometric_mean: float
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class RatioByDay:
    day: float
    ratio: float
    lower: float
    upper: float
    p_value: float


@dataclass(frozen=True)
class MixedFit:
    """The fixed effects, their covariance and the variance components of a fitted model."""

    names: list[str]
    beta: np.ndarray
    cov: np.ndarray
    residual_variance: float
    intercept_variance: float
    reml_loglik: float | None
    engine: str


@dataclass(frozen=True)
class RepeatedMeasuresResult(AnalysisResult):
    EFFECTS = (
        Effect("ratios", "{outcome}: geometric mean ratio, day {item.day:g}", "ratio",
               estimate="ratio", method="model", method_from_result=True),
    )

    outcome: str
    labels: tuple[str, str]
    days: list[float]
    geometric_means: list[GeometricMean]
    ratios: list[RatioByDay]
    interaction_chi2: float | None
    interaction_df: int
    interaction_p: float | None
    residual_variance: float
    intercept_variance: float
    participants: int
    observations: int
    lod_rule: str
    below_lod_total: int
    level: float
    missing: Missing
    engine: str
    model: str = MODEL
    method: str = field(default="repeated measures, linear mixed model", init=False)

    @property
    def comparison(self) -> str:
        return f"{self.labels[0]} vs {self.labels[1]}"

    def to_text(self, wording: Wording = ENGLISH) -> str:
        w, t = wording, wording.t
        pct = round(self.level * 100)
        gm_rows = [
            [g.group, w.number(f"{g.day:g}"), g.n, g.below_lod, w.fmt(g.geometric_mean, 3),
             w.ci(g.lower, g.upper, 3)]
            for g in self.geometric_means
        ]
        ratio_rows = [
            [w.number(f"{r.day:g}"), w.fmt(r.ratio, 3), w.ci(r.lower, r.upper, 3),
             w.p(r.p_value)]
            for r in self.ratios
        ]
        a, b = self.labels
        lines = [
            t("%(outcome)s: %(a)s vs %(b)s") % {"outcome": self.outcome, "a": a, "b": b},
            "",
            table([t("group"), t("day"), "n", t("below LOD"), t("geometric mean"),
                   t("%(pct)d%% CI (t)") % {"pct": pct}], gm_rows),
            "",
            table([t("day"), t("ratio %(a)s / %(b)s") % {"a": a, "b": b},
                   t("%(pct)d%% CI") % {"pct": pct}, "p"], ratio_rows),
            "",
            t("Model: %(model)s; engine %(engine)s") % {"model": self.model,
                                                        "engine": self.engine},
            "  " + t("%(participants)d participants, %(observations)d observations; residual "
                     "variance %(residual)s, participant intercept variance %(intercept)s") % {
                "participants": self.participants, "observations": self.observations,
                "residual": w.fmt(self.residual_variance),
                "intercept": w.fmt(self.intercept_variance)},
            "  " + t("group x day: chi-squared %(chi2)s on %(df)s df, p = %(p)s") % {
                "chi2": w.fmt(self.interaction_chi2), "df": self.interaction_df,
                "p": w.p(self.interaction_p)},
            t("Below the limit of detection: %(n)d values, replaced by %(rule)s") % {
                "n": self.below_lod_total, "rule": _rule_text(self.lod_rule, t)},
            self.missing.to_text(wording),
        ]
        return "\n".join(lines)

    def plot(self, path: str | Path, *, value_label: str | None = None) -> Path:
        return plot_geometric_means(self, path, value_label=value_label)


def _rule_text(rule: str, t: Callable[[str], str] = str) -> str:
    return {"half": t("LOD / 2"), "lod": t("the LOD"), "sqrt2": t("LOD / sqrt(2)")}[rule]


# --- the two engines -------------------------------------------------------------------------


def _group_sums(codes_sorted: np.ndarray, values: np.ndarray) -> np.ndarray:
    starts = np.flatnonzero(np.r_[True, codes_sorted[1:] != codes_sorted[:-1]])
    return np.add.reduceat(values, starts, axis=0)


def fit_profile_reml(y: np.ndarray, X: np.ndarray, codes: np.ndarray, names: list[str]) -> MixedFit:
    """REML fit of y = X beta + u_participant + e, in closed form per participant.

    With gamma = var(u) / var(e) and, per participant i, n_i observations, s_i the sum of the rows
    of X and t_i the sum of y: V_i^-1 = (I - w_i J) / var(e), w_i = gamma / (1 + n_i gamma), so
    X'V^-1 X, X'V^-1 y and y'V^-1 y are sums over participants; beta and var(e) are profiled out and
    the REML log-likelihood is maximised over log(gamma).
    """
    order = np.argsort(codes, kind="stable")
    codes_sorted = codes[order]
    Xs, ys = X[order], y[order]
    n_i = np.bincount(codes_sorted).astype(float)
    n_i = n_i[n_i > 0]
    S = _group_sums(codes_sorted, Xs)
    T = _group_sums(codes_sorted, ys)
    XtX, Xty, yty = X.T @ X, X.T @ y, float(y @ y)
    N, p = X.shape
    dof = N - p

    def pieces(gamma: float):
        w = gamma / (1 + n_i * gamma)
        A = XtX - (S * w[:, None]).T @ S
        bvec = Xty - S.T @ (w * T)
        c = yty - float(w @ (T * T))
        beta = np.linalg.solve(A, bvec)
        rss = c - float(bvec @ beta)
        return A, beta, rss

    def neg_loglik(theta: float) -> float:
        gamma = math.exp(theta)
        A, _, rss = pieces(gamma)
        sign, logdet = np.linalg.slogdet(A)
        if sign <= 0 or rss <= 0:
            return math.inf
        return 0.5 * (
            dof * math.log(rss / dof) + float(np.sum(np.log1p(n_i * gamma))) + logdet
            + dof * (1 + math.log(2 * math.pi))
        )

    grid = np.linspace(-15.0, 8.0, 47)
    values = [neg_loglik(t) for t in grid]
    k = int(np.argmin(values))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    best = optimize.minimize_scalar(neg_loglik, bounds=(lo, hi), method="bounded",
                                    options={"xatol": 1e-10})
    theta = float(best.x)
    gamma = 0.0 if k == 0 and best.fun >= values[0] - 1e-12 else math.exp(theta)
    A, beta, rss = pieces(gamma)
    sigma2 = rss / dof
    cov = sigma2 * np.linalg.inv(A)
    return MixedFit(names, beta, cov, sigma2, gamma * sigma2, -float(best.fun), "profile")


def fit_statsmodels(y: np.ndarray, X: np.ndarray, codes: np.ndarray, names: list[str]) -> MixedFit:
    """The same model with statsmodels MixedLM (REML)."""
    import warnings

    from statsmodels.regression.mixed_linear_model import MixedLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = MixedLM(y, X, groups=codes).fit(reml=True, method=["lbfgs"])
    p = X.shape[1]
    return MixedFit(
        names,
        np.asarray(fit.fe_params),
        np.asarray(fit.cov_params())[:p, :p],
        float(fit.scale),
        float(np.asarray(fit.cov_re)[0, 0]),
        float(fit.llf),
        "statsmodels",
    )


# --- data preparation ------------------------------------------------------------------------


def _parse_values(
    frame: pd.DataFrame, value: str, lod: float | str | None, rule: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return (value on the original scale after the LOD rule, flag below LOD)."""
    raw = frame[value]
    text = raw.astype(str).str.strip()
    censored_text = text.str.startswith("<")
    numbers = pd.to_numeric(text.str.lstrip("<").str.strip(), errors="coerce")
    bad = raw[numbers.isna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in pd.unique(bad)[:5])
        raise AnalysisInputError(value, f"must be numeric or '<LOD' (found {shown})")
    values = numbers.to_numpy(dtype=float)
    if lod is None:
        limits = np.where(censored_text, values, np.nan)
    elif isinstance(lod, str):
        limits = pd.to_numeric(frame[lod], errors="coerce").to_numpy(dtype=float)
        if np.any(np.isnan(limits) & ~censored_text.to_numpy()):
            raise AnalysisInputError(lod, "limit of detection must be a number on every row")
        limits = np.where(censored_text, values, limits)
    else:
        if lod <= 0:
            raise AnalysisInputError("lod", f"limit of detection must be positive (got {lod:g})")
        limits = np.where(censored_text, values, float(lod))
    below = censored_text.to_numpy() | (~np.isnan(limits) & (values < limits))
    factor = LOD_RULES[rule]
    result = np.where(below, limits * factor, values)
    if np.any(result <= 0):
        raise AnalysisInputError(
            value,
            "values must be positive for the log scale; declare a limit of detection "
            "(--lod) so that values below it are replaced",
        )
    return result, below


def repeated_measures(
    frame: pd.DataFrame,
    *,
    participant: str,
    group: str,
    day: str,
    value: str,
    groups: tuple[Any, Any] | list[Any] | None = None,
    lod: float | str | None = None,
    lod_rule: str = "half",
    level: float = 0.95,
    outcome: str = "",
    engine: str = "profile",
) -> RepeatedMeasuresResult:
    """Mixed model of log(``value``) by group and day; geometric mean ratios a / b by day."""
    if lod_rule not in LOD_RULES:
        raise AnalysisInputError("lod_rule", f"must be one of {', '.join(LOD_RULES)}")
    if engine not in ENGINES:
        raise AnalysisInputError("engine", f"must be one of {', '.join(ENGINES)}")
    columns = [participant, group, day, value] + ([lod] if isinstance(lod, str) else [])
    require_columns(frame, columns)
    sub = frame.loc[:, list(dict.fromkeys(columns))]
    isna = sub[[participant, group, day, value]].isna()
    keep = ~isna.any(axis=1)
    missing = Missing(len(sub), int(keep.sum()), {c: int(isna[c].sum()) for c in isna.columns})
    data = sub.loc[keep].reset_index(drop=True)
    days_values = pd.to_numeric(data[day], errors="coerce")
    if days_values.isna().any():
        raise AnalysisInputError(day, "must be a number (day since randomization)")
    first, second = two_groups(data[group], group, groups)
    per_participant = data.groupby(participant)[group].nunique()
    if (per_participant > 1).any():
        pid = per_participant[per_participant > 1].index[0]
        raise AnalysisInputError(group, f"participant {pid!r} appears in both groups")
    if data.duplicated([participant, day]).any():
        row = data[data.duplicated([participant, day])].iloc[0]
        raise AnalysisInputError(
            day, f"participant {row[participant]!r} has more than one value on day {row[day]}"
        )

    values, below = _parse_values(data, value, lod, lod_rule)
    logv = np.log(values)
    day_arr = days_values.to_numpy(dtype=float)
    days = sorted(set(day_arr.tolist()))
    is_a = (data[group] == first).to_numpy()

    # Observed geometric means by group and day.
    gms = []
    for name, mask_g in ((label(first), is_a), (label(second), ~is_a)):
        for d in days:
            mask = mask_g & (day_arr == d)
            n = int(mask.sum())
            if n == 0:
                raise AnalysisInputError(day, f"group {name!r} has no values on day {d:g}")
            m = float(logv[mask].mean())
            if n > 1:
                half = t_dist.ppf(0.5 + level / 2, n - 1) * logv[mask].std(ddof=1) / math.sqrt(n)
                lo, hi = math.exp(m - half), math.exp(m + half)
            else:
                lo = hi = None
            gms.append(GeometricMean(name, d, n, int(below[mask].sum()), math.exp(m), lo, hi))

    # Design: intercept, group a, day dummies, group a x day dummies.
    cols = [np.ones(len(logv)), is_a.astype(float)]
    names = ["intercept", "group_a"]
    for d in days[1:]:
        cols.append((day_arr == d).astype(float))
        names.append(f"day_{d:g}")
    for d in days[1:]:
        cols.append(is_a * (day_arr == d).astype(float))
        names.append(f"group_a:day_{d:g}")
    X = np.column_stack(cols)
    codes = pd.factorize(data[participant])[0]
    fitter = fit_profile_reml if engine == "profile" else fit_statsmodels
    fit = fitter(logv, X, codes, names)

    z = float(norm.ppf(0.5 + level / 2))
    ratios = []
    for k, d in enumerate(days):
        c = np.zeros(len(names))
        c[1] = 1.0
        if k > 0:
            c[names.index(f"group_a:day_{d:g}")] = 1.0
        est = float(c @ fit.beta)
        se = math.sqrt(float(c @ fit.cov @ c))
        p = float(2 * norm.sf(abs(est / se))) if se > 0 else float("nan")
        ratios.append(
            RatioByDay(d, math.exp(est), math.exp(est - z * se), math.exp(est + z * se), p)
        )
    inter = [i for i, n in enumerate(names) if n.startswith("group_a:")]
    if inter:
        b = fit.beta[inter]
        stat = float(b @ np.linalg.solve(fit.cov[np.ix_(inter, inter)], b))
        inter_p = float(chi2.sf(stat, len(inter)))
    else:
        stat, inter_p = None, None
    return RepeatedMeasuresResult(
        outcome=outcome or value,
        labels=(label(first), label(second)),
        days=days,
        geometric_means=gms,
        ratios=ratios,
        interaction_chi2=stat,
        interaction_df=len(inter),
        interaction_p=inter_p,
        residual_variance=fit.residual_variance,
        intercept_variance=fit.intercept_variance,
        participants=int(codes.max() + 1),
        observations=len(logv),
        lod_rule=lod_rule,
        below_lod_total=int(below.sum()),
        level=level,
        missing=missing,
        engine=fit.engine,
    )


def plot_geometric_means(
    result: RepeatedMeasuresResult, path: str | Path, *, value_label: str | None = None,
    title: str | None = None, day_label: str = "Day",
) -> Path:
    """Geometric means with intervals by day per group, on a log axis; the title and the axes'
    labels may be given in the reader's language (English by default)."""
    from .plots import colour, line_style, new_figure, plain_log_ticks, save

    figure = new_figure(6.5, 4.2)
    ax = figure.add_subplot()
    span = (max(result.days) - min(result.days)) or 1.0
    dodge = span * 0.012
    for i, name in enumerate(result.labels):
        rows = [g for g in result.geometric_means if g.group == name]
        x = np.array([g.day for g in rows]) + (i - 0.5) * 2 * dodge
        y = np.array([g.geometric_mean for g in rows])
        lo = np.array([g.lower if g.lower is not None else g.geometric_mean for g in rows])
        hi = np.array([g.upper if g.upper is not None else g.geometric_mean for g in rows])
        ax.errorbar(
            x, y, yerr=[y - lo, hi - y], color=colour(i), linestyle=line_style(i),
            marker="os"[i % 2], capsize=3, linewidth=1.8, label=name,
        )
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    ax.set_xticks(result.days)
    ax.set_xticklabels([f"{d:g}" for d in result.days])
    ax.set_xlabel(day_label)
    ax.set_ylabel(value_label or f"{result.outcome} (geometric mean)")
    pct = round(result.level * 100)
    ax.set_title(title or f"{result.outcome}: geometric means with {pct}% intervals",
                 fontsize=10)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.legend(fontsize=9, framealpha=0.9)
    return save(figure, path)
