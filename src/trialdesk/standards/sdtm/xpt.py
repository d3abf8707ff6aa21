"""SAS transport (XPT) version 5 files, as regulators take them, written with pyreadstat.

pyreadstat writes what it is given: a 9-character name, a 41-character label or a 201-character
value would give a file a SAS reader refuses or cuts. :func:`check_v5` refuses them first with the
dataset, the variable and the row named; :func:`write_xpt` checks, writes and returns the path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from trialdesk.standards.sdtm.spec import Dataset

NAME_MAX, LABEL_MAX, VALUE_MAX = 8, 40, 200
# SAS names: a letter or underscore, then letters, digits, underscores (v5: upper case by custom)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
V5_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"


class XportLimitError(ValueError):
    """A name, label or value beyond what SAS transport version 5 holds."""

    def __init__(self, dataset: str, variable: str | None, row: int | None, rule: str) -> None:
        where = f"dataset {dataset}"
        if variable is not None:
            where += f", variable {variable}"
        if row is not None:
            where += f", row {row}"
        super().__init__(f"{where}: {rule}")
        self.dataset, self.variable, self.row, self.rule = dataset, variable, row, rule


def _encoded(text: str) -> int:
    return len(text.encode("utf-8"))


def byte_lengths(column: pd.Series, at_least: int = 0) -> pd.Series:
    """The UTF-8 byte length of each text value that may reach ``at_least`` bytes (a character
    is at most 4 bytes, so shorter values are not encoded: fast on large columns)."""
    chars = column.str.len().fillna(0)
    if is_text(column) and _ascii(column):  # one byte a character: no encoding at all
        return chars[chars >= at_least].astype(int)
    candidates = column[chars * 4 >= max(at_least, 1)]
    return candidates.map(lambda v: _encoded(v) if isinstance(v, str) else 0)


def is_text(column: pd.Series) -> bool:
    """True for a column of text (not numbers, not the dates of ADaM)."""
    return column.dtype == object and pd.api.types.infer_dtype(column) == "string"


def _ascii(column: pd.Series) -> bool:
    return "".join(column.tolist()).isascii()  # text only (``is_text``): one C call


def max_bytes(column: pd.Series) -> int:
    """The longest text value's length in UTF-8 bytes (0 for an empty column)."""
    if column.empty or not is_text(column):
        return 0
    if _ascii(column):
        return int(column.str.len().fillna(0).max())
    longest = int(column.str.len().fillna(0).max())
    lengths = byte_lengths(column, longest)
    return int(lengths.max()) if not lengths.empty else 0


def check_v5(frame: pd.DataFrame, dataset: str, dataset_label: str,
             labels: dict[str, str]) -> None:
    """Raise :class:`XportLimitError` for the first name, label or value over a v5 limit.

    Rows are counted from 1, as a reader of the file counts them. Lengths are in bytes (the file
    stores bytes), so "°C" counts 3.
    """
    if len(dataset) > NAME_MAX or not _NAME.match(dataset):
        raise XportLimitError(dataset, None, None, f"a dataset name has at most {NAME_MAX} "
                                                   "letters, digits or underscores")
    if _encoded(dataset_label) > LABEL_MAX:
        raise XportLimitError(dataset, None, None,
                              f"the dataset label is over {LABEL_MAX} bytes: {dataset_label!r}")
    for name in frame.columns:
        if len(name) > NAME_MAX or not _NAME.match(name):
            raise XportLimitError(dataset, name, None, f"a variable name has at most {NAME_MAX} "
                                                       "letters, digits or underscores")
        label = labels.get(name, "")
        if _encoded(label) > LABEL_MAX:
            raise XportLimitError(dataset, name, None,
                                  f"the label is over {LABEL_MAX} bytes: {label!r}")
        column = frame[name]
        if not is_text(column):
            continue
        lengths = byte_lengths(column, VALUE_MAX + 1)
        over = lengths[lengths > VALUE_MAX]
        if not over.empty:
            row = frame.index.get_loc(over.index[0]) + 1
            raise XportLimitError(dataset, name, row,
                                  f"a value is {int(over.iloc[0])} bytes, over {VALUE_MAX}")


def write_xpt(frame: pd.DataFrame, spec: Dataset, folder: Path) -> Path:
    """Check ``frame`` against the v5 limits and write ``<name>.xpt`` (lower case) in ``folder``."""
    import pyreadstat

    labels = {v.name: v.label for v in spec.variables if v.name in frame.columns}
    check_v5(frame, spec.name, spec.label, labels)
    path = folder / f"{spec.name.lower()}.xpt"
    pyreadstat.write_xport(frame, str(path), file_label=spec.label,
                           column_labels=[labels.get(c, "") for c in frame.columns],
                           table_name=spec.name, file_format_version=5)
    return path


def is_version_5(path: Path) -> bool:
    """True if the file's first header record is v5's library header (v8 writes ``LIBV8``)."""
    with path.open("rb") as handle:
        return handle.read(len(V5_HEADER)) == V5_HEADER
