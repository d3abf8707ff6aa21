"""Rows (dicts by variable name) to a dataset's frame: the guide's order and types.

Required and expected variables are always there (empty when not collected, as SDTMIG asks);
a permissible one only when some row has a value. Text is text ("" for none), numbers are floats
(NaN for none, SAS's missing), ADaM dates (``*DT``) are dates (SAS dates in the file).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from trialdesk.standards.sdtm.spec import DATETIME, PERM, Dataset

_NUMBERS = ("integer", "float")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    return float(value)


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def to_frame(spec: Dataset, rows: Iterable[Mapping[str, Any]], *,
             drop_empty: bool = True) -> pd.DataFrame:
    """The dataset's frame from ``rows``; a key not in the spec is refused (a typo, not data).

    ``drop_empty`` False keeps every variable: for a chunk of a dataset built in parts, whose
    empty permissible variables are dropped once all parts are joined (``joined``).
    """
    rows = list(rows)
    known = set(spec.names)
    for index, row in enumerate(rows, start=1):
        unknown = set(row) - known
        if unknown:
            raise KeyError(f"dataset {spec.name}, row {index}: no variable "
                           f"{', '.join(sorted(unknown))} in its specification")
    columns: dict[str, list[Any]] = {}
    for variable in spec.variables:
        values = [row.get(variable.name) for row in rows]
        if drop_empty and variable.core == PERM and all(v in (None, "") for v in values):
            continue
        if variable.type in _NUMBERS:
            columns[variable.name] = [_number(v) for v in values]
        elif variable.type == DATETIME and spec.standard == "ADaMIG":
            dates = [_date(v) for v in values]
            # no date at all: SAS's missing number (a column of None would be written as text)
            columns[variable.name] = dates if any(dates) else [math.nan] * len(dates)
        else:
            columns[variable.name] = [v if type(v) is str else _text(v) for v in values]
    frame = pd.DataFrame(columns, columns=list(columns))
    for variable in spec.variables:
        if variable.name in frame.columns and variable.type in _NUMBERS:
            frame[variable.name] = frame[variable.name].astype("float64")
    return frame


def joined(spec: Dataset, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts (``to_frame(..., drop_empty=False)``) as one frame, without the permissible
    variables that no part has a value of."""
    if not parts:
        return to_frame(spec, [])
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    empty = [v.name for v in spec.variables if v.core == PERM and v.name in frame.columns
             and _all_empty(frame[v.name])]
    return frame.drop(columns=empty)


def _all_empty(column: pd.Series) -> bool:
    if column.dtype == object:
        return bool((column.isna() | (column == "")).all())
    return bool(column.isna().all())


def study_day(when: Any, reference: dt.date | None) -> int | None:
    """SDTM's study day: day 1 is the reference start date; the day before is -1 (no day 0)."""
    day = _date(when)
    if day is None or reference is None:
        return None
    delta = (day - reference).days
    return delta + 1 if delta >= 0 else delta


def numbered(rows: list[dict[str, Any]], seq: str) -> list[dict[str, Any]]:
    """Number the rows 1, 2, ... within each USUBJID (``--SEQ``), in the order given."""
    counters: dict[str, int] = {}
    for row in rows:
        counters[row["USUBJID"]] = counters.get(row["USUBJID"], 0) + 1
        row[seq] = counters[row["USUBJID"]]
    return rows
