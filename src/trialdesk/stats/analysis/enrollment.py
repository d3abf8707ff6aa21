"""Enrollment over time: cumulative number randomized by date, per site and in all.

Enrollment is counted without groups, so the curve shows recruitment and nothing of allocation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._base import AnalysisResult, Missing, complete_cases, table

TOTAL = "all sites"


@dataclass(frozen=True)
class EnrollmentCurve:
    """One step curve: the dates on which someone was randomized and the running total."""

    label: str
    dates: list[dt.date]
    cumulative: list[int]

    @property
    def total(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0


@dataclass(frozen=True)
class EnrollmentResult(AnalysisResult):
    JSON_EXTRAS = ()  # no groups are compared: no "comparison", and no effects

    sites: list[EnrollmentCurve]
    overall: EnrollmentCurve
    target: int | None
    missing: Missing
    method: str = field(default="cumulative count randomized by date", init=False)

    def to_text(self) -> str:
        rows = [[c.label, c.total, c.dates[0].isoformat() if c.dates else "NA",
                 c.dates[-1].isoformat() if c.dates else "NA"]
                for c in [*self.sites, self.overall]]
        target = "" if self.target is None else f"\nTarget: {self.target}"
        return table(["site", "randomized", "first", "last"], rows) + target

    def plot(self, path: str | Path, *, title: str = "Enrollment over time",
             date_label: str = "Date randomized", count_label: str = "Cumulative randomized",
             total_label: str | None = None, target_label: str = "target",
             month_names: Sequence[str] | None = None) -> Path:
        return plot_enrollment(self, path, title=title, date_label=date_label,
                               count_label=count_label, total_label=total_label,
                               target_label=target_label, month_names=month_names)


def _curve(label: str, dates: pd.Series) -> EnrollmentCurve:
    counts = dates.value_counts().sort_index()
    return EnrollmentCurve(label, list(counts.index), [int(n) for n in counts.cumsum()])


def enrollment_over_time(
    frame: pd.DataFrame, *, date: str, site: str, target: int | None = None
) -> EnrollmentResult:
    """Cumulative randomizations by date per site (sorted by site) and for all sites together.

    ``date`` holds dates or datetimes (a datetime counts on its calendar day); rows missing the
    date or the site are left out and counted.
    """
    data, missing = complete_cases(frame, [date, site])
    days = pd.to_datetime(data[date]).dt.date
    sites = [_curve(str(name), days[data[site] == name]) for name in sorted(data[site].unique(),
                                                                             key=str)]
    return EnrollmentResult(sites, _curve(TOTAL, days), target, missing)


def _month_named_formatter(locator: Any, month_names: Sequence[str] | None) -> Any:
    """Matplotlib's concise date labels, months by ``month_names`` (January first) when given:
    strftime writes them in the process's C locale, English whatever the reader's language."""
    from matplotlib.dates import ConciseDateFormatter

    if month_names is None:
        return ConciseDateFormatter(locator)
    if len(month_names) != 12:
        raise ValueError(f"expected 12 month names, got {len(month_names)}")
    names = list(month_names)
    # the month's number between two private-use characters, swapped for its name once
    # formatted (strftime passes them through; a NUL would end its output)
    mark = "\ue000"

    def marked(formats: list[str]) -> list[str]:
        return [fmt.replace("%b", f"{mark}%m{mark}") for fmt in formats]

    def named(text: str) -> str:
        return re.sub(f"{mark}(\\d\\d){mark}", lambda m: names[int(m.group(1)) - 1], text)

    class MonthNamed(ConciseDateFormatter):
        def format_ticks(self, values: Any) -> list[str]:
            return [named(label) for label in super().format_ticks(values)]

        def get_offset(self) -> str:
            return named(super().get_offset())

    plain = ConciseDateFormatter(locator)
    return MonthNamed(locator, formats=marked(plain.formats),
                      zero_formats=marked(plain.zero_formats),
                      offset_formats=marked(plain.offset_formats))


def plot_enrollment(result: EnrollmentResult, path: str | Path, *, title: str, date_label: str,
                    count_label: str, total_label: str | None = None,
                    target_label: str = "target",
                    month_names: Sequence[str] | None = None) -> Path:
    """Step curves, one per site and a thicker one for all sites, with the target if given;
    the date axis writes months by ``month_names`` (12 abbreviations, January first) if given."""
    from matplotlib.dates import AutoDateLocator

    from .plots import colour, line_style, new_figure, save

    figure = new_figure(7.0, 4.0)
    ax = figure.add_subplot()
    curves = [(c, i + 1, 1.6) for i, c in enumerate(result.sites)]
    curves.append((result.overall, 0, 2.6))
    for curve, index, width in curves:
        if not curve.dates:
            continue
        # Start each step curve at zero the day before its first randomization.
        dates = [curve.dates[0] - dt.timedelta(days=1), *curve.dates]
        counts = [0, *curve.cumulative]
        name = total_label if curve is result.overall and total_label else curve.label
        ax.step(dates, counts, where="post", color=colour(index), linestyle=line_style(index),
                linewidth=width, label=f"{name} (n = {curve.total})")
    if result.target:
        ax.axhline(result.target, color="#555555", linewidth=0.8, linestyle=":")
        # at the right end, where the legend (upper left) never covers it
        ax.annotate(f"{target_label} {result.target}", xy=(0.99, result.target),
                    xycoords=("axes fraction", "data"), xytext=(0, -10), ha="right",
                    textcoords="offset points", fontsize=8, color="#555555")
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_month_named_formatter(locator, month_names))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(date_label)
    ax.set_ylabel(count_label)
    ax.set_title(title, fontsize=10)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    if result.overall.dates:
        ax.legend(fontsize=8, framealpha=0.9, loc="upper left")
    return save(figure, path)
