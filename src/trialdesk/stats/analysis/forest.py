"""Forest plot of outcome effects: a row per effect, ratios on a log axis, differences linear.

Each result object's ``effects()`` gives its rows (label, estimate, lower, upper, scale, method);
rows of one scale share a panel with its line of no effect (1 for ratios, 0 for differences).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .plots import colour, new_figure, plain_log_ticks, save

SCALES = ("ratio", "difference")


def _defined(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def forest_plot(
    effects: Iterable[Mapping[str, Any]], path: str | Path, *, title: str = "",
    comparison: str = "",
) -> Path:
    """Draw the effects (dicts as returned by ``result.effects()``) to ``path`` (.png or .svg)."""
    rows = list(effects)
    if not rows:
        raise ValueError("a forest plot needs at least one effect")
    for row in rows:
        if row.get("scale") not in SCALES:
            raise ValueError(f"effect {row.get('label')!r}: scale must be one of {SCALES}")
    panels = [s for s in SCALES if any(r["scale"] == s for r in rows)]
    heights = [max(1, sum(r["scale"] == s for r in rows)) + 1.2 for s in panels]
    figure = new_figure(8.0, 0.45 * sum(heights) + 1.2)
    grid = figure.add_gridspec(len(panels), 1, height_ratios=heights, hspace=0.6)
    for p, scale in enumerate(panels):
        ax = figure.add_subplot(grid[p])
        panel_rows = [r for r in rows if r["scale"] == scale]
        null = 1.0 if scale == "ratio" else 0.0
        ys = list(range(len(panel_rows)))[::-1]
        labels = []
        finite_values = [null]
        for y, r in zip(ys, panel_rows, strict=True):
            est, lo, hi = r.get("estimate"), r.get("lower"), r.get("upper")
            text = "not estimable"
            if _defined(est):
                lo_plot = lo if _defined(lo) and not (scale == "ratio" and lo <= 0) else None
                hi_plot = hi if _defined(hi) else None
                if lo_plot is not None and hi_plot is not None:
                    ax.plot([lo_plot, hi_plot], [y, y], color=colour(0), linewidth=1.8)
                    finite_values += [lo_plot, hi_plot]
                if not (scale == "ratio" and est <= 0):
                    ax.plot([est], [y], marker="s", color=colour(0), markersize=7)
                    finite_values.append(est)
                text = f"{est:.2f} ({_num(lo)} to {_num(hi)})"
            labels.append(f"{r['label']}\n{text}")
        ax.axvline(null, color="#555555", linestyle="--", linewidth=1)
        if scale == "ratio":
            ax.set_xscale("log")
            lo_x, hi_x = min(finite_values), max(finite_values)
            ax.set_xlim(lo_x / 1.3, hi_x * 1.3)
            plain_log_ticks(ax.xaxis)
            ax.set_xlabel("ratio (log scale)" + (f": {comparison}" if comparison else ""))
        else:
            lo_x, hi_x = min(finite_values), max(finite_values)
            pad = 0.1 * ((hi_x - lo_x) or 1.0)
            ax.set_xlim(lo_x - pad, hi_x + pad)
            ax.set_xlabel("difference" + (f": {comparison}" if comparison else ""))
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_ylim(-0.7, len(panel_rows) - 0.3)
        ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        if p == 0 and title:
            ax.set_title(title, fontsize=10)
    return save(figure, path)


def _num(x: Any) -> str:
    if x is None:
        return "NA"
    if isinstance(x, float) and math.isinf(x):
        return "Inf"
    return f"{x:.2f}"
