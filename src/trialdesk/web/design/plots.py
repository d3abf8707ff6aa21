"""Plots as inline SVG text (matplotlib, no pyplot state of our own, no JavaScript)."""

from __future__ import annotations

import io
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from django.utils.translation import gettext as _
from matplotlib.figure import Figure

from trialdesk.stats.design.boundaries import GroupSequentialDesign

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
# The core's report plot goes through pyplot's global state; requests take turns drawing it.
_PYPLOT = threading.Lock()


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    # drop the XML declaration and DOCTYPE: the SVG is embedded in HTML
    return _PROLOGUE.sub("", buffer.getvalue(), count=1)


def boundary_svg(design: GroupSequentialDesign, *, title: str, x_label: str, upper_label: str,
                 lower_label: str) -> str:
    """Upper (and lower) z bounds against the information fraction."""
    t = design.information_rates
    fig = Figure(figsize=(6.5, 3.8), dpi=100)
    ax = fig.subplots()
    ax.plot(t, design.upper, "o-", color="#12355b", label=upper_label)
    finite = np.isfinite(design.lower)
    if finite.any():
        ax.plot(t[finite], design.lower[finite], "s--", color="#a40000", label=lower_label)
    for x, y in zip(t, design.upper, strict=True):
        ax.annotate(f"{y:.3f}", (x, y), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel(x_label)
    ax.set_ylabel("z")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _svg(fig)


def stopping_svg(result: dict[str, Any], *, title: str, y_label: str, look_label: str) -> str:
    """Probability of stopping for efficacy at each look, per scenario (simulated)."""
    rows = result["scenarios"]
    k = len(result["upper"])
    fig = Figure(figsize=(7, 3.8), dpi=100)
    ax = fig.subplots()
    width = 0.8 / max(len(rows), 1)
    for i, row in enumerate(rows):
        ax.bar(np.arange(k) + i * width, row["stop_upper_by_look"], width, label=row["name"],
               color=f"C{i}")
    ax.set_xticks(np.arange(k) + 0.4 - width / 2)
    ax.set_xticklabels([look_label % {"n": j + 1} for j in range(k)])
    ax.set_ylabel(y_label)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _svg(fig)


def report_svg(table: dict[str, Any]) -> str:
    """The core's power curves of the design report, read back as SVG text, its words in the
    reader's language and kept as text (searchable, read out by screen readers)."""
    from trialdesk.stats.design.report import PowerPlotWords, plot_power

    words = PowerPlotWords(
        one_sided=_("one-sided %(alpha)s") % {"alpha": "{alpha}"},
        two_sided=_("two-sided %(alpha)s") % {"alpha": "{alpha}"},
        normal=_("%(setting)s: normal approximation") % {"setting": "{setting}"},
        z_exact=_("%(setting)s: z-test, exact") % {"setting": "{setting}"},
        fisher=_("%(setting)s: Fisher, exact") % {"setting": "{setting}"},
        x_label=_("event proportion on treatment (control %(control)s%%)") % {
            "control": "{control}"},
        y_label=_("power"),
        title=_("What %(n_total)s participants (%(n)s per arm) can detect") % {
            "n_total": "{n_total}", "n": "{n}"})
    with _PYPLOT, tempfile.TemporaryDirectory() as folder, matplotlib.rc_context(
            {"svg.fonttype": "none"}):
        path = Path(folder) / "power.svg"
        plot_power(table, str(path), words)
        return _PROLOGUE.sub("", path.read_text(encoding="utf-8"), count=1)
