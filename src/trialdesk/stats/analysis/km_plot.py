"""Kaplan-Meier curves with interval bands, censoring marks and a numbers-at-risk table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .plots import colour, line_style, new_figure, save

if TYPE_CHECKING:
    from .survival import SurvivalResult


def _ticks(max_time: float) -> list[float]:
    from matplotlib.ticker import MaxNLocator

    locator = MaxNLocator(nbins=7, integer=True, min_n_ticks=3)
    return [float(t) for t in locator.tick_values(0, max_time) if 0 <= t <= max_time * 1.0001]


def plot_kaplan_meier(
    result: SurvivalResult,
    path: str | Path,
    *,
    time_label: str = "Days",
    ticks: list[float] | None = None,
    survival_label: str = "Survival probability",
    title: str | None = None,
    group_label: str = "{label} (n = {n}, events = {events})",
    at_risk_label: str = "Number at risk",
) -> Path:
    """Draw the curves to ``path``. The words are the caller's, so that a page draws them in
    its reader's language: ``group_label`` is formatted with the group's ``label``, ``n`` and
    ``events``; ``title`` None is the English estimate with its log-rank p and hazard ratio."""
    groups = (result.a, result.b)
    max_time = max(max(g.curve_time) for g in groups)
    ticks = list(ticks) if ticks else _ticks(max_time)
    figure = new_figure(7.0, 5.2)
    grid = figure.add_gridspec(2, 1, height_ratios=(4.2, 1.0), hspace=0.32)
    ax = figure.add_subplot(grid[0])
    for i, g in enumerate(groups):
        t = np.concatenate([[0.0], g.curve_time])
        s = np.concatenate([[1.0], g.curve_survival])
        lo = np.concatenate([[1.0], np.nan_to_num(g.curve_lower, nan=0.0)])
        hi = np.concatenate([[1.0], np.nan_to_num(g.curve_upper, nan=0.0)])
        ax.fill_between(t, lo, hi, step="post", color=colour(i), alpha=0.18, linewidth=0)
        ax.step(
            t, s, where="post", color=colour(i), linestyle=line_style(i), linewidth=2,
            label=group_label.format(label=g.label, n=g.n, events=g.events),
        )
        if g.censor_times:
            ct = np.asarray(g.censor_times)
            idx = np.searchsorted(t, ct, side="right") - 1
            ax.plot(ct, s[idx], linestyle="none", marker="|", markersize=9, color=colour(i))
    pct = round(result.level * 100)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, max_time * 1.02)
    ax.set_xticks(ticks)
    ax.set_ylabel(survival_label)
    ax.set_xlabel(time_label)
    if title is None:
        title = (
            f"Kaplan-Meier estimate, {pct}% pointwise bands\n"
            f"log-rank p {_p(result.logrank.p_value)}; hazard ratio "
            f"{_num(result.hazard_ratio.estimate)} ({_num(result.hazard_ratio.lower)} to "
            f"{_num(result.hazard_ratio.upper)})"
        )
    ax.set_title(title, fontsize=10)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)

    risk = figure.add_subplot(grid[1], sharex=ax)
    risk.set_ylim(-0.5, len(groups) - 0.5)
    risk.set_yticks(range(len(groups)))
    risk.set_yticklabels([g.label for g in reversed(groups)], fontsize=9)
    for tick_label, i in zip(risk.get_yticklabels(), reversed(range(len(groups))), strict=True):
        tick_label.set_color(colour(i))
    for row, g in enumerate(reversed(groups)):
        times = np.asarray(g.durations)
        for t in ticks:
            risk.text(
                t, row, str(int(np.sum(times >= t))), ha="center", va="center", fontsize=9,
                color=colour(groups.index(g)),
            )
    risk.set_title(at_risk_label, fontsize=9, loc="left")
    risk.tick_params(axis="x", labelbottom=False, length=0)
    risk.tick_params(axis="y", length=0, pad=16)
    for spine in risk.spines.values():
        spine.set_visible(False)
    return save(figure, path)


def _p(p: float | None) -> str:
    if p is None:
        return "= NA"
    return "< 0.0001" if p < 0.0001 else f"= {p:.4f}"


def _num(x: float | None) -> str:
    return "NA" if x is None else f"{x:.2f}"
