"""Text over 200 bytes, as SDTMIG 3.3 section 4.5.3.2 ("Text strings greater than 200
characters") asks: the first part stays in its variable, each further part of at most 200 goes
to a SUPP-- record whose QNAM is the variable's name followed by 1, 2, ... (AETERM1, AETERM2),
QLABEL the variable's label, IDVAR/IDVARVAL the record's --SEQ.

The limit is in UTF-8 bytes, as the file stores them (``xpt.check_v5``): "é" counts 2. A value
is cut between words where it can be, never inside a character, and the blank at a cut starts
the next part (a SAS transport reader drops trailing blanks, not leading ones), so that the
parts joined end to end give the value back exactly.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from trialdesk.standards.sdtm.spec import TEXT, Dataset
from trialdesk.standards.sdtm.xpt import NAME_MAX, VALUE_MAX, byte_lengths

# identifiers are never free text: a value of theirs over the limit is refused, not moved
_NOT_MOVED = ("STUDYID", "DOMAIN", "USUBJID")
_ASSIGNED = ("ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "COUNTRY", "EXTRT")


def split_text(value: str, limit: int = VALUE_MAX) -> list[str]:
    """``value`` in parts of at most ``limit`` UTF-8 bytes; ``"".join(parts) == value``."""
    if limit < 4:  # a character takes up to 4 bytes: a smaller limit could not move on
        raise ValueError(f"a part holds at least 4 bytes, not {limit}")
    parts, rest = [], value
    while len(rest.encode("utf-8")) > limit:
        cut = _cut(rest, limit)
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts


def _cut(text: str, limit: int) -> int:
    """Where to end the first part of ``text`` (which is over ``limit`` bytes)."""
    # the characters whose bytes fit: a character cut short by the slice is dropped whole
    fit = len(text.encode("utf-8")[:limit].decode("utf-8", errors="ignore"))
    for at in range(fit, 0, -1):  # between words: before a run of blanks
        if text[at].isspace() and not text[at - 1].isspace():
            return at
    for at in range(fit, 0, -1):  # one long word: between two characters, not before an accent
        if not text[at - 1].isspace() and not unicodedata.combining(text[at]):
            return at
    return fit


def qualifier_name(variable: str, number: int) -> str:
    """QNAM of the ``number``-th continuation of ``variable``: AETERM1; a name that would pass
    8 characters loses its last letters to the digits (SAS names hold 8)."""
    digits = str(number)
    return variable[:NAME_MAX - len(digits)] + digits


def qualifier_origin(name: str) -> str:
    """QORIG as the parent variable's origin: entered on the form, or assigned by the system."""
    return "Assigned" if name in _ASSIGNED else "CRF"


def _may_be_over(column: pd.Series) -> bool:
    """False when no value can pass 200 bytes: 4 bytes a character at most (one C-level pass,
    cheaper than pandas' ``str.len`` on the large findings domains)."""
    if column.dtype != object:
        return False
    try:
        longest = max(map(len, column.values))  # to_frame writes text as str ("" for none)
    except TypeError:
        longest = max(len(v) if isinstance(v, str) else 0 for v in column.values)
    return longest * 4 > VALUE_MAX


def supplemental_rows(frame: pd.DataFrame, spec: Dataset) -> list[dict[str, Any]]:
    """Cut each text of ``frame`` over 200 bytes to its first part (in place) and return the
    SUPP-- rows of the rest, in the frame's order, identified by --SEQ where the domain has it
    (DM has none: one record a subject)."""
    seq = f"{spec.name}SEQ"
    seq = seq if seq in frame.columns else None
    found = []
    for order, variable in enumerate(spec.variables):
        name = variable.name
        if variable.type != TEXT or name in _NOT_MOVED or name not in frame.columns:
            continue
        column = frame[name]
        if column.empty or not _may_be_over(column):
            continue
        lengths = byte_lengths(column, VALUE_MAX + 1)
        for index in lengths[lengths > VALUE_MAX].index:
            first, *rest = split_text(column.at[index])
            frame.at[index, name] = first
            for number, part in enumerate(rest, start=1):
                found.append((frame.index.get_loc(index), order, number, {
                    "STUDYID": frame.at[index, "STUDYID"], "RDOMAIN": spec.name,
                    "USUBJID": frame.at[index, "USUBJID"], "IDVAR": seq or "",
                    "IDVARVAL": f"{int(frame.at[index, seq])}" if seq else "",
                    "QNAM": qualifier_name(name, number), "QLABEL": variable.label,
                    "QVAL": part, "QORIG": qualifier_origin(name), "QEVAL": ""}))
    return [row for *_, row in sorted(found, key=lambda item: item[:3])]
