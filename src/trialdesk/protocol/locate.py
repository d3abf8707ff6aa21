"""Find the line of a dotted path (``forms[2].fields[0].type``) in a TOML file's text.

tomllib reports lines only for syntax errors; for a valid file whose content breaks a rule we still
want to point at the line, so the text is scanned for table headers and keys.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"']+)\s*=")


def _parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


class LineIndex:
    """Map dotted paths to the line (1-based) where they are written."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        self._array_length: dict[str, int] = {}
        self._scan(text)

    def _resolve(self, parts: list[str]) -> str:
        path = ""
        for part in parts:
            path = f"{path}.{part}" if path else part
            if path in self._array_length:
                path = f"{path}[{self._array_length[path] - 1}]"
        return path

    def _scan(self, text: str) -> None:
        current = ""
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                parts = _parts(header.group(2))
                if header.group(1) == "[[":
                    parent = self._resolve(parts[:-1])
                    array = f"{parent}.{parts[-1]}" if parent else parts[-1]
                    self._array_length[array] = self._array_length.get(array, 0) + 1
                    current = f"{array}[{self._array_length[array] - 1}]"
                else:
                    current = self._resolve(parts)
                self.lines.setdefault(current, number)
                continue
            key = _KEY.match(line)
            if key:
                path = ".".join([current, *_parts(key.group(1))]) if current else key.group(1)
                self.lines.setdefault(path, number)
                for quote in ('"""', "'''"):
                    if line.count(quote) % 2 == 1:
                        in_multiline = quote

    def line_of(self, path: str) -> int | None:
        """Return the line of ``path`` or of its nearest written ancestor."""
        candidate = path
        while candidate:
            if candidate in self.lines:
                return self.lines[candidate]
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return None
