"""The core's plots as inline SVG text: drawn to a temporary file, read back, prologue dropped."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import matplotlib
from django.utils import formats

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
# rc_context changes matplotlib's global settings: requests take turns while one draws.
_DRAWING = threading.Lock()


def plot_svg(draw: Callable[[Path], Path]) -> str:
    """Return the SVG that ``draw(path)`` writes, with text kept as text (searchable, readable
    by screen readers) and ids stable from one rendering to the next."""
    with _DRAWING, tempfile.TemporaryDirectory() as folder, matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "trialdesk-report"}
    ):
        path = draw(Path(folder) / "plot.svg")
        text = path.read_text(encoding="utf-8")
    return _PROLOGUE.sub("", text, count=1)


def month_names() -> list[str]:
    """The months' abbreviations in the language in force (Jan, Ene), January first, for a
    plot's date axis."""
    return [formats.date_format(dt.date(2000, month, 1), "M") for month in range(1, 13)]
