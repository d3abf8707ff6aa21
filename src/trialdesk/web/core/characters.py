"""Characters no field of the trial may hold, and the rule that names them.

- NUL: PostgreSQL stores none in text or jsonb (a query with one fails with a server error).
- The other C0 control characters (tab, CR and LF excepted: multi-line texts need them): they
  are invisible, end strings early in other programs, and a trial record has no use for them.
- Bidirectional overrides and zero-width characters (U+200B-U+200F, U+202A-U+202E,
  U+2066-U+2069, U+FEFF): they make a stored text display differently from what it holds
  ("Trojan Source"), so a reviewer could sign what they did not read.
"""

from __future__ import annotations

import re

NUL_RULE = "must not contain the NUL character"
CONTROL_RULE = "must not contain control characters (only tab, CR and LF)"
FORMAT_RULE = "must not contain bidirectional-override or zero-width characters"
UTF8_RULE = "must be valid UTF-8"

_CONTROL = "\x01-\x08\x0b\x0c\x0e-\x1f"
_FORMAT = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_CONTROL_RE = re.compile(f"[{_CONTROL}]")
_FORMAT_RE = re.compile(f"[{_FORMAT}]")
_REFUSED_RE = re.compile(f"[\x00{_CONTROL}{_FORMAT}]")


def refused_character_rule(text: str) -> str | None:
    """The rule ``text`` breaks (NUL first, then control, then format characters), or None."""
    if "\x00" in text:
        return NUL_RULE
    if _CONTROL_RE.search(text):
        return CONTROL_RULE
    if _FORMAT_RE.search(text):
        return FORMAT_RULE
    return None


def escaped(text: str) -> str:
    """``text`` fit to print back (a field name in an error): refused characters as ``\\uXXXX``."""
    return _REFUSED_RE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
