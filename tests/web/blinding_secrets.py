"""Facts besides the arms that the blinding matrix checks, each with who may read it (issue 14).

A ``Secret`` finds what of its fact a response shows (``found``) and says which viewers may read it
(``may_see(who, role)``); ``run_matrix`` reports it for every other viewer. The rules are declared
here, from the issue, not read from the protocol, so that the server's rule is checked against them:

- which participant was emergency-unblinded: the requester, the DSMB, the sponsor's safety contact
  and the auditor (the administrator); not the analyst, data manager, monitor, coordinator or
  another investigator;
- the pharmacy's times in the audit trail (a dispensing or a pharmacist's record dated finer than
  the day, or numbered, or hashed): only roles that see arms;
- the block sizes: only roles that see arms; never a blinded role, never the public.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# roles that see arms in the normal course of the trial (the bundled protocol)
SEES_ARMS = frozenset({"pharmacist", "dsmb_statistician"})
SEES_UNBLINDINGS = frozenset({"dsmb_statistician", "safety_contact", "admin"})
UNBLINDED_MARKERS = ("emergency_unblind", "Unblinded in an emergency", "(unblinded)",
                     "Desenmascarado en una emergencia", "(desenmascarado)")
_FLAG = re.compile(r'"unblinded":\s*true')
_TIME_OF_DAY = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_NUMBERED = re.compile(r'"(?:seq|hash)":')
_BLOCK_SIZES = re.compile(
    r"block[ _-]?sizes?\W{0,12}\d|blocks? of (?:random )?sizes? \d|tama\w* de bloques?\W{0,12}\d",
    re.IGNORECASE)


@dataclass(frozen=True)
class Secret:
    name: str
    found: Callable[[str], list[str]]
    may_see: Callable[[str, str | None], bool]


def _records(data: Any) -> Iterable[Any]:
    """Yield the innermost records of a JSON answer: a list's items, a table's rows."""
    if isinstance(data, list):
        for item in data:
            yield from _records(item)
    elif isinstance(data, dict):
        nested = {k: v for k, v in data.items() if isinstance(v, list) and v
                  and all(isinstance(item, dict) for item in v)}
        for value in nested.values():
            yield from _records(value)
        yield {k: v for k, v in data.items() if k not in nested}
    else:
        yield data


def chunks(body: str) -> list[str]:
    """Split a response into the records it shows: JSON records, or an HTML page's table rows
    (what comes before the first row, a page's heading and status line, is one chunk)."""
    try:
        data = json.loads(body)
    except ValueError:
        return re.split(r"<tr\b", body)
    return [json.dumps(record, ensure_ascii=False) for record in _records(data)]


def emergency_unblinding(code: str, reason: str, requester: str) -> Secret:
    """Which participant was unblinded: ``code`` next to the reason, the flag or the action."""
    def found(body: str) -> list[str]:
        shown = []
        for chunk in chunks(body):
            if code not in chunk:
                continue
            shown += [f"{code} with {marker!r}" for marker in (reason, *UNBLINDED_MARKERS)
                      if marker in chunk]
            if _FLAG.search(chunk):
                shown.append(f"{code} flagged unblinded")
        return shown

    return Secret("emergency unblinding", found,
                  lambda who, role: who == requester or role in SEES_UNBLINDINGS)


def pharmacy_times(pharmacy_accounts: Iterable[str]) -> Secret:
    """A pharmacy record of the audit trail with a time of day, a number or a hash."""
    accounts = tuple(pharmacy_accounts)
    html_marks = ("<td>dispense</td>", *(f"<td>{a}</td>" for a in accounts))
    json_marks = ('"action": "dispense"', *(f'"actor": "{a}"' for a in accounts))

    def found(body: str) -> list[str]:
        shown = []
        for chunk in chunks(body):
            if not any(mark in chunk for mark in (*html_marks, *json_marks)):
                continue
            shown += [f"pharmacy record at {time}" for time in _TIME_OF_DAY.findall(chunk)]
            shown += ["pharmacy record numbered"] if _NUMBERED.search(chunk) else []
        return shown

    return Secret("pharmacy time", found, lambda who, role: role in SEES_ARMS)


def block_sizes() -> Secret:
    """The block sizes, in any wording ("block_sizes": [2, 4], "blocks of random size 2 and 4")."""
    return Secret("block sizes", lambda body: _BLOCK_SIZES.findall(body),
                  lambda who, role: role in SEES_ARMS)
