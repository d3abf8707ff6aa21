"""What every analysis shares: the input error, input checks, JSON conversion and text tables."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd


class AnalysisInputError(ValueError):
    """Input that an analysis cannot use; names the column (or argument) and the rule it breaks."""

    def __init__(self, column: str, rule: str) -> None:
        self.column = column
        self.rule = rule
        super().__init__(f"column {column!r}: {rule}")


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON types: NaN and infinity become None, numpy scalars Python."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def fmt(value: float | None, digits: int = 4) -> str:
    """Format a number for a text table: fixed decimals, 'NA' for missing, 'Inf' for infinite."""
    if value is None:
        return "NA"
    value = float(value)
    if math.isnan(value):
        return "NA"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return f"{value:.{digits}f}"


def fmt_p(value: float | None) -> str:
    """Format a p-value: four decimals, '<0.0001' below that."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def fmt_ci(lower: float | None, upper: float | None, digits: int = 4) -> str:
    return f"{fmt(lower, digits)} to {fmt(upper, digits)}"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Render a plain-text table with columns padded to their widest cell."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in header]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in body
    )
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Missing:
    """Rows left out of a complete-case analysis: how many, and how many lacked each column."""

    rows_total: int
    rows_used: int
    by_column: dict[str, int]

    @property
    def rows_excluded(self) -> int:
        return self.rows_total - self.rows_used

    def to_text(self) -> str:
        if self.rows_excluded == 0:
            return f"Missing data: none ({self.rows_used} rows used, complete-case)."
        parts = ", ".join(f"{col} {n}" for col, n in self.by_column.items() if n)
        return (
            f"Missing data: {self.rows_excluded} of {self.rows_total} rows excluded "
            f"(complete-case; missing {parts})."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_total": self.rows_total,
            "rows_used": self.rows_used,
            "rows_excluded": self.rows_excluded,
            "by_column": dict(self.by_column),
            "rule": "complete-case",
        }


def require_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    for column in columns:
        if column not in frame.columns:
            raise AnalysisInputError(
                column, f"not in the data (columns are: {', '.join(map(str, frame.columns))})"
            )


def complete_cases(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, Missing]:
    """Keep the rows where every column named is present; count what was missing per column."""
    require_columns(frame, columns)
    sub = frame.loc[:, list(dict.fromkeys(columns))]
    isna = sub.isna()
    keep = ~isna.any(axis=1)
    missing = Missing(
        rows_total=len(sub),
        rows_used=int(keep.sum()),
        by_column={c: int(isna[c].sum()) for c in dict.fromkeys(columns)},
    )
    return sub.loc[keep].copy(), missing


def two_groups(
    values: pd.Series, column: str, groups: Sequence[Any] | None = None
) -> tuple[Any, Any]:
    """Return the two group labels in analysis order (first = 'a', second = reference 'b').

    Labels are used exactly as they appear in the data. Without ``groups`` the order is the sorted
    order of the labels as text, so that coded labels ("group 1", "group 2") keep their order.
    """
    present = list(pd.unique(values))
    if groups is not None:
        groups = list(groups)
        if len(groups) != 2:
            raise AnalysisInputError(column, f"two groups must be named, got {len(groups)}")
        for g in groups:
            if g not in present and str(g) not in {str(p) for p in present}:
                raise AnalysisInputError(column, f"group {g!r} does not occur in the data")
        extra = [p for p in present if str(p) not in {str(g) for g in groups}]
        if extra:
            raise AnalysisInputError(
                column,
                f"must hold exactly two groups; also found {', '.join(map(repr, extra))}",
            )
        by_text = {str(p): p for p in present}
        return by_text[str(groups[0])], by_text[str(groups[1])]
    if len(present) != 2:
        found = ", ".join(repr(p) for p in sorted(present, key=str))
        raise AnalysisInputError(
            column, f"must hold exactly two groups, found {len(present)}: {found}"
        )
    first, second = sorted(present, key=str)
    return first, second


def binary_column(values: pd.Series, column: str) -> np.ndarray:
    """Return a 0/1 integer array, or refuse values other than 0/1 (or True/False)."""
    if values.dtype == bool:
        return values.to_numpy(dtype=int)
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values[numeric.isna() | ~numeric.isin([0, 1])]
    if len(bad):
        shown = ", ".join(repr(v) for v in pd.unique(bad)[:5])
        raise AnalysisInputError(column, f"must be 0 or 1 (found {shown})")
    return numeric.to_numpy(dtype=int)


def numeric_column(
    values: pd.Series, column: str, *, nonnegative: bool = False, positive: bool = False
) -> np.ndarray:
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values[numeric.isna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in pd.unique(bad)[:5])
        raise AnalysisInputError(column, f"must be numeric (found {shown})")
    array = numeric.to_numpy(dtype=float)
    if not np.all(np.isfinite(array)):
        raise AnalysisInputError(column, "must be finite numbers")
    if nonnegative and np.any(array < 0):
        raise AnalysisInputError(column, f"must not be negative (found {array.min():g})")
    if positive and np.any(array <= 0):
        raise AnalysisInputError(column, f"must be positive (found {array.min():g})")
    return array


def label(value: Any) -> str:
    """A group label as text, exactly as given."""
    return str(value)
