"""Find the line of a dotted path (``forms[2].fields[0].type``) in a TOML file's text.

tomllib reports lines only for syntax errors; for a valid file whose content breaks a rule we still
want to point at the line, so the text is scanned for table headers and keys. For a file that ends
inside an array, inline table or string, tomllib says only "at end of document";
``unclosed_opening`` finds where that construct was opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Opening:
    """Where an array, inline table, string or table header that is never closed was opened.

    ``line`` and ``column`` are 1-based; ``delimiter`` is what opened it ([, {, a quote or three).
    """

    kind: str  # "array", "inline table", "string" or "table header"
    delimiter: str
    line: int
    column: int


def unclosed_opening(text: str) -> Opening | None:
    """Return the innermost construct still open at the end of ``text``, if any.

    tomllib says only "(at end of document)" when a file ends inside an array, inline table or
    string; the place worth showing is where that construct was opened. Brackets and braces are
    counted outside strings and comments; a ``[`` or ``[[`` that starts a line outside any value
    opens a table header.
    """
    stack: list[tuple[str, str, int]] = []  # (kind, delimiter, offset of its first character)
    string: tuple[str, int] | None = None  # (quote, offset)
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if string is not None:
            quote = string[0]
            if char == "\\" and quote[0] == '"':
                index += 2  # an escape, or a line-ending backslash in a multi-line string
                continue
            if char == "\n" and len(quote) == 1:
                string = None  # a one-line string cannot span lines; tomllib reports that itself
            elif text.startswith(quote, index):
                run = len(quote)
                if run == 3:  # up to two quotes of the content may touch the closing three
                    while run < 5 and index + run < end and text[index + run] == quote[0]:
                        run += 1
                index += run
                string = None
                continue
            index += 1
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = end if newline < 0 else newline + 1
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            string = (quote, index)
            index += len(quote)
            continue
        if char == "[" and not stack and not text[text.rfind("\n", 0, index) + 1 : index].strip():
            header = "[[" if text.startswith("[[", index) else "["
            stack.append(("table header", header, index))
            index += len(header)
            continue
        if char in "[{":
            stack.append(("array" if char == "[" else "inline table", char, index))
        elif char in "]}" and stack:
            stack.pop()  # a mismatched closer is tomllib's to report; keep counting
        index += 1
    if string is not None:
        kind, (delimiter, offset) = "string", string
    elif stack:
        kind, delimiter, offset = stack[-1]
    else:
        return None
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Opening(kind, delimiter, line, column)
