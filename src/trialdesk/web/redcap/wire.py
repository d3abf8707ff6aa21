"""REDCap's wire protocol: reading the posted parameters and writing answers and errors.

Parameters come form-encoded; arrays in both spellings (``records[0]=1&records[1]=2`` and
``records=1,2``), booleans as True/False, true/false or 1/0; parameters the method does not use are
ignored. An answer is json, csv or xml (``format``, xml when absent). An error has a non-200 status
AND a body in ``returnFormat`` (else ``format``, else xml), because PyCap reads only the body and
REDCapR only the status: ``{"error": "..."}``, csv text starting with ``error:``, or
``<hash><error>...</error></hash>``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse, QueryDict, StreamingHttpResponse

FORMATS = ("json", "csv", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8",
                 "xml": "text/xml; charset=utf-8"}
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'
_TRUE, _FALSE = ("true", "1"), ("false", "0")
_INDEXED = re.compile(r"^(?P<name>\w+)\[(?P<index>\d*)\]$")
# REDCap's csvDelimiter values (export and import): comma (the default), tab, semicolon, pipe, caret
CSV_DELIMITERS = {",": ",", "tab": "\t", "\t": "\t", ";": ";", "|": "|", "^": "^"}


class RedcapError(Exception):
    """An error answered with ``status`` and ``message`` in the caller's return format;
    ``details``: rows of an import's errors, listed after the message."""

    def __init__(self, status: int, message: str,
                 details: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)


class Params:
    """The posted parameters of one call."""

    def __init__(self, data: QueryDict) -> None:
        self.data = data

    def text(self, name: str, default: str = "") -> str:
        return (self.data.get(name) or default).strip()

    def has(self, name: str) -> bool:
        return name in self.data

    def array(self, name: str) -> list[str]:
        """``name[0]``, ``name[1]`` ... (in index order), ``name[]``, or ``name=a,b``."""
        indexed: list[tuple[int, str]] = []
        for key in self.data:
            match = _INDEXED.match(key)
            if match and match["name"] == name:
                index = int(match["index"]) if match["index"] else len(indexed)
                indexed += [(index, value) for value in self.data.getlist(key)]
        values = [value for _, value in sorted(indexed, key=lambda pair: pair[0])]
        for value in self.data.getlist(name):
            values += value.split(",")
        return [value.strip() for value in values if value.strip()]

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.text(name).lower()
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise RedcapError(400, f"{name}: must be true or false (or 1 or 0), not {value!r}")

    def choice(self, name: str, allowed: Sequence[str], default: str) -> str:
        value = self.text(name) or default
        if value not in allowed:
            raise RedcapError(400, f"{name}: must be one of {', '.join(allowed)}, not {value!r}")
        return value

    @property
    def format(self) -> str:
        return self.choice("format", FORMATS, "xml")

    @property
    def csv_delimiter(self) -> str:
        """``csvDelimiter``: a comma when absent; ``tab``, ``;``, ``|`` or ``^``."""
        value = self.data.get("csvDelimiter") or ","  # not stripped: a tab may be sent as is
        if value not in CSV_DELIMITERS:
            raise RedcapError(400, "csvDelimiter: must be one of , tab ; | ^ (a comma when "
                                   f"absent), not {value!r}")
        return CSV_DELIMITERS[value]

    @property
    def return_format(self) -> str:
        """Where errors (and an import's answer) go: returnFormat, else format, else xml;
        an unreadable value falls back to xml rather than hide the error it would carry."""
        for name in ("returnFormat", "format"):
            value = self.text(name).lower()
            if value in FORMATS:
                return value
        return "xml"


def error_response(error: RedcapError, fmt: str) -> HttpResponse:
    """The error in ``fmt`` with its status."""
    if fmt == "json":
        body: dict[str, Any] = {"error": error.message}
        if error.details:
            body["rows"] = error.details
        text = json.dumps(body, ensure_ascii=False)
    elif fmt == "csv":
        text = f"error: {error.message}\n"
        if error.details:
            text += "".join(csv_lines(error.details, list(error.details[0])))
    else:
        items = "".join(f"<row>{_xml_fields(row)}</row>" for row in error.details)
        text = f"{XML_HEAD}<hash><error>{escape(error.message)}</error>{items}</hash>"
    return HttpResponse(text, status=error.status, content_type=CONTENT_TYPES[fmt])


def csv_lines(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
              header: Sequence[str] | None = None, delimiter: str = ",") -> Iterator[str]:
    """The header (``header``, else the column names), then the rows, about 64 KB a piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=delimiter)
    writer.writerow(header or columns)
    for row in rows:
        writer.writerow([row.get(column) for column in columns])  # None is written blank
        if buffer.tell() > 65_536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _xml_fields(row: Mapping[str, Any]) -> str:
    return "".join(f"<{key}>{escape(_text(value))}</{key}>" for key, value in row.items())


def rows_body(rows: Iterable[Mapping[str, Any]], fmt: str, columns: Sequence[str] | None = None,
              header: Sequence[str] | None = None, delimiter: str = ",") -> Iterator[str]:
    """A list of rows in ``fmt``, piece by piece (``columns``: csv's columns, by default the
    first row's keys; ``delimiter``: csv's)."""
    rows = iter(rows)
    if fmt == "json":
        pieces, size = ["["], 0
        for index, row in enumerate(rows):
            text = ("," if index else "") + json.dumps(row, ensure_ascii=False)
            pieces.append(text)
            size += len(text)
            if size > 65_536:
                yield "".join(pieces)
                pieces, size = [], 0
        yield "".join(pieces) + "]"
    elif fmt == "csv":
        if columns is None:
            first = next(rows, None)
            if first is None:
                yield "\n"
                return
            columns = list(first)
            rows = _chain(first, rows)
        yield from csv_lines(rows, columns, header, delimiter)
    else:
        pieces, size = [XML_HEAD + "<records>"], 0
        for row in rows:
            text = f"<item>{_xml_fields(row)}</item>"
            pieces.append(text)
            size += len(text)
            if size > 65_536:
                yield "".join(pieces)
                pieces, size = [], 0
        yield "".join(pieces) + "</records>\n"


def _chain(first: Mapping[str, Any], rest: Iterator[Mapping[str, Any]]
           ) -> Iterator[Mapping[str, Any]]:
    yield first
    yield from rest


def rows_response(rows: Iterable[Mapping[str, Any]], fmt: str,
                  columns: Sequence[str] | None = None, delimiter: str = ",") -> HttpResponse:
    """A short list answered at once (metadata, events, instruments)."""
    return HttpResponse("".join(rows_body(rows, fmt, columns, delimiter=delimiter)),
                        content_type=CONTENT_TYPES[fmt])


def streamed_rows(pieces: Iterator[str], fmt: str) -> StreamingHttpResponse:
    """A long answer (records, the log) sent as it is read, a page of records at a time."""
    return StreamingHttpResponse(pieces, content_type=CONTENT_TYPES[fmt])


def object_response(item: Mapping[str, Any], fmt: str, delimiter: str = ",") -> HttpResponse:
    """One object (the project's information): json object, one csv row, xml ``<item>``."""
    if fmt == "json":
        text = json.dumps(item, ensure_ascii=False)
    elif fmt == "csv":
        text = "".join(csv_lines([item], list(item), delimiter=delimiter))
    else:
        text = f"{XML_HEAD}<item>{_xml_fields(item)}</item>\n"
    return HttpResponse(text, content_type=CONTENT_TYPES[fmt])


def parse_data(text: str, fmt: str, delimiter: str = ",") -> list[dict[str, str]]:
    """The rows of an imported ``data`` text (json list of objects, or csv with a header, its
    values separated by ``delimiter``)."""
    if fmt == "json":
        try:
            rows = json.loads(text)
        except ValueError as error:
            raise RedcapError(400, f"data: is not valid JSON ({error})") from None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise RedcapError(400, "data: must be a JSON list of objects")
        return [{str(k): _imported_text(v) for k, v in row.items()} for row in rows]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
        return [{(k or "").strip(): (v or "") for k, v in row.items()} for row in reader]
    raise RedcapError(400, "format: xml is not read on import; send json or csv")


def _imported_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
