"""What every analysis shares: the input error, input checks, the result base, JSON conversion and
text tables."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd


class AnalysisInputError(ValueError):
    """Input that an analysis cannot use; names the column (or argument) and the rule it breaks."""

    def __init__(self, column: str, rule: str) -> None:
        self.column = column
        self.rule = rule
        super().__init__(f"column {column!r}: {rule}")


# Field metadata: leave the field out of to_dict() (curves kept for plotting, not for the JSON).
NOT_IN_JSON = MappingProxyType({"json": False})


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON types.

    NaN and infinity become None, numpy scalars and arrays Python numbers and lists, tuples lists,
    dates ISO text, a data frame a list of row records and a series a mapping of index to value.
    An object with its own ``to_dict()`` (a nested result, :class:`Missing`) is converted by it;
    any other dataclass field by field, leaving out fields marked with :data:`NOT_IN_JSON`.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, pd.DataFrame):
        return [jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.Index):
        return [jsonable(v) for v in value]
    if not isinstance(value, type) and callable(getattr(value, "to_dict", None)):
        return jsonable(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields_as_json(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (dt.date, dt.time)):  # datetime and pandas' Timestamp are dates too
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _fields_as_json(value: Any) -> dict[str, Any]:
    return {
        f.name: jsonable(getattr(value, f.name))
        for f in dataclasses.fields(value)
        if f.metadata.get("json", True)
    }


@dataclasses.dataclass(frozen=True)
class Effect:
    """Declares a field of a result as a forest-plot effect (one row, or one per item of a list).

    ``label`` is a :meth:`str.format` template given ``outcome`` (the result's outcome, or its
    ``OUTCOME_FALLBACK``) and ``item`` (the field's value, or each item of it). The row's
    estimate is the item's attribute ``estimate``, its interval the item's ``lower`` and
    ``upper``, and its method the attribute ``method`` of the item, or of the result itself with
    ``method_from_result`` (one model behind every row).
    """

    field: str
    label: str
    scale: Literal["ratio", "difference"]
    estimate: str = "estimate"
    method: str = "method"
    method_from_result: bool = False

    def rows(self, result: Any, outcome: str) -> list[dict[str, Any]]:
        value = getattr(result, self.field)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [
            {
                "label": self.label.format(outcome=outcome, item=item),
                "estimate": getattr(item, self.estimate),
                "lower": item.lower,
                "upper": item.upper,
                "scale": self.scale,
                "method": getattr(result if self.method_from_result else item, self.method),
            }
            for item in items
        ]


class AnalysisResult:
    """Base of the analyses' results, which are frozen dataclasses; nothing here is hand-written
    per class.

    - ``to_dict()``: every field in declaration order (fields marked :data:`NOT_IN_JSON` left out),
      converted by :func:`jsonable` (nested results and :class:`Missing` by their own
      ``to_dict()``), then the attributes named in ``JSON_EXTRAS`` (by default ``comparison``).
    - ``effects()``: the forest-plot rows (label, estimate, lower, upper, scale, method) of the
      :class:`Effect` declarations in ``EFFECTS``, in order; values are left as they are (NaN
      and infinity included) for the plot to judge.

    Class attributes are assigned without annotation, so that they are not dataclass fields.
    """

    EFFECTS: ClassVar[tuple[Effect, ...]] = ()
    # The outcome named in effect labels when the result's own ``outcome`` is empty.
    OUTCOME_FALLBACK: ClassVar[str] = ""
    JSON_EXTRAS: ClassVar[tuple[str, ...]] = ("comparison",)

    @property
    def comparison(self) -> str:
        """The two groups compared, ``a`` against the reference ``b``."""
        return f"{self.a.label} vs {self.b.label}"  # type: ignore[attr-defined]

    def effects(self) -> list[dict[str, Any]]:
        """The comparisons as forest-plot rows."""
        outcome = getattr(self, "outcome", "") or self.OUTCOME_FALLBACK
        return [row for effect in self.EFFECTS for row in effect.rows(self, outcome)]

    def to_dict(self) -> dict[str, Any]:
        """The result in JSON types only: its fields, then ``JSON_EXTRAS``."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} must be a dataclass to derive to_dict()")
        data = _fields_as_json(self)
        for name in self.JSON_EXTRAS:
            data[name] = jsonable(getattr(self, name))
        return data


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


@dataclasses.dataclass(frozen=True)
class Wording:
    """The language a result's text is written in (issue 19): ``t`` turns an English phrase into
    that language (a gettext function; for English the phrase itself) and ``decimal`` is its
    decimal mark. The core holds no catalogue: the command line passes its own."""

    t: Callable[[str], str] = str
    decimal: str = "."

    def number(self, text: str) -> str:
        """A number already formatted, written with this decimal mark."""
        return text if self.decimal == "." else text.replace(".", self.decimal)

    def fmt(self, value: float | None, digits: int = 4) -> str:
        return self.number(fmt(value, digits))

    def p(self, value: float | None) -> str:
        return self.number(fmt_p(value))

    def ci(self, lower: float | None, upper: float | None, digits: int = 4) -> str:
        return self.t("%(lower)s to %(upper)s") % {"lower": self.fmt(lower, digits),
                                                   "upper": self.fmt(upper, digits)}


ENGLISH = Wording()


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

    def to_text(self, wording: Wording = ENGLISH) -> str:
        t = wording.t
        if self.rows_excluded == 0:
            return t("Missing data: none (%(used)d rows used, complete-case).") % {
                "used": self.rows_used}
        parts = ", ".join(f"{col} {n}" for col, n in self.by_column.items() if n)
        return t("Missing data: %(excluded)d of %(total)d rows excluded (complete-case; missing "
                 "%(parts)s).") % {"excluded": self.rows_excluded, "total": self.rows_total,
                                   "parts": parts}

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
