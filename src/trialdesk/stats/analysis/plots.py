"""Plot helpers: the Agg backend, a colour-blind-safe palette, saving as PNG or SVG.

The palette is Okabe and Ito's (2008), distinguishable under the common colour-vision
deficiencies; line styles differ as well, so curves can be told apart in greyscale too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
LINE_STYLES = ("-", "--", "-.", ":")
FORMATS = {".png": "png", ".svg": "svg"}


def colour(index: int) -> str:
    return OKABE_ITO[index % len(OKABE_ITO)]


def line_style(index: int) -> str:
    return LINE_STYLES[index % len(LINE_STYLES)]


def new_figure(width: float, height: float, **kwargs: Any) -> Figure:
    """A figure that is not registered with pyplot (no global state, safe in servers)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), **kwargs)


def plain_log_ticks(axis: Any) -> None:
    """Ticks at 1, 2, 5 x 10^k labelled as plain numbers (0.5, 1, 2) on a log-scaled axis."""
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(StrMethodFormatter("{x:g}"))
    axis.set_minor_formatter(NullFormatter())


def save(figure: Figure, path: str | Path) -> Path:
    """Save ``figure`` as PNG or SVG, chosen by the file's suffix."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"plot file must end in .png or .svg, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"format": fmt, "bbox_inches": "tight"}
    if fmt == "png":
        kwargs["dpi"] = 150
    else:
        kwargs["metadata"] = {"Date": None}  # reproducible SVG files
    figure.savefig(path, **kwargs)
    return path
