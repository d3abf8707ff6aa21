"""Bulk import of form data (CSV or JSON) for sites that collect on paper.

Each row names participant, visit, form (and optionally seq, complete, confirm, reason) and holds
the form's field codes as columns. Every row goes through :func:`do_save_form`, so it is validated,
audited and access-checked like a form saved on a page. Rows are independent unless
``all_or_nothing``: then one bad row rolls all of them back.

The file as a whole is refused, before any row is saved, when a cell or a column name holds a
character no field may hold (``core.characters``, the rule the middleware applies to every form
field: NUL reaches a PostgreSQL query as a server error) or a JSON object gives a key twice (the
API's parser: the last would win unseen); the refusal names the row (1 = the first data row) and
the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from trialdesk.web.capture.access import access_form_slot
from trialdesk.web.capture.actions.forms import do_save_form
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.characters import escaped, refused_character_rule
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trialdesk.web.core.strict_json import DuplicateKey, loads

META_COLUMNS = ("participant", "visit", "form", "seq", "complete", "confirm", "reason")
MAX_ROWS = 10_000


@dataclass
class ImportResult:
    rows: int = 0
    saved: int = 0
    rolled_back: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


class _RollBack(Exception):
    pass


class ImportTooLarge(Exception):
    """An import over the limit (``settings.TRIALDESK_IMPORT_MAX_BYTES``): answered 413."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.rule = f"must be at most {import_limit_text()} (the import limit)"
        super().__init__(f"{field}: {self.rule}")


def import_limit() -> int:
    return settings.TRIALDESK_IMPORT_MAX_BYTES


def import_limit_text() -> str:
    limit = import_limit()
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:g} KB"


def upload_text(upload: UploadedFile) -> str:
    """The text of an uploaded import file: its size checked before a byte of it is read, then
    decoded as UTF-8 (a byte-order mark dropped)."""
    if upload.size is None or upload.size > import_limit():
        raise ImportTooLarge("file")
    raw = upload.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput("file", f"must be UTF-8 text (byte {error.start + 1} is not)") from None


def pasted_text(text: str) -> str:
    """Pasted import text, refused over the import limit like a file."""
    if len(text.encode()) > import_limit():
        raise ImportTooLarge("text")
    return text


_JSON_ROW = re.compile(r"\[(\d+)\]\.?([^.\[]*)")


def json_rows(text: str) -> Any:
    """The JSON of an import file, read as the API reads its bodies (``core.strict_json``): a
    key given twice in one object is refused naming its row and column; text that is not JSON
    raises ValueError."""
    try:
        return loads(text)
    except DuplicateKey as error:
        found = _JSON_ROW.match(error.field)
        place = (f"row {int(found.group(1)) + 1}, column {escaped(found.group(2))}" if found
                 else escaped(error.field))
        raise InvalidInput(place, "appears more than once") from None


def parse_rows(fmt: str, data: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows of a CSV text or a JSON list; CSV blanks are dropped. A refused
    character in a cell or a column name refuses them all (see the module)."""
    if fmt == "json":
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InvalidInput("data", "must be a list of objects for JSON")
        rows = data
    else:
        if not isinstance(data, str):
            raise InvalidInput("data", "must be CSV text")
        reader = csv.DictReader(io.StringIO(data))
        try:
            rows = [{k.strip(): v for k, v in row.items() if k and v not in (None, "")}
                    for row in reader]
        except csv.Error as error:  # a cell over the csv module's size limit
            raise InvalidInput(f"row {reader.line_num}", f"must be CSV ({error})") from None
    if len(rows) > MAX_ROWS:
        raise InvalidInput("data", f"at most {MAX_ROWS} rows per import")
    for number, row in enumerate(rows, start=1):
        for column, value in row.items():
            rule = _refused_in(column) or _refused_in(value)
            if rule:
                raise InvalidInput(f"row {number}, column {escaped(str(column))}", rule)
    return rows


def _refused_in(value: Any) -> str | None:
    """The character rule the first string in ``value`` (a list's or an object's, keys
    included) breaks, or None."""
    if isinstance(value, str):
        return refused_character_rule(value)
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else (
        value if isinstance(value, list) else [])
    return next((rule for rule in map(_refused_in, items) if rule), None)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y")


def _save_row(actor: Actor, row: dict[str, Any]) -> None:
    missing = [c for c in ("participant", "visit", "form") if not row.get(c)]
    if missing:
        raise InvalidInput(missing[0], "is required in every row")
    seq = row.get("seq") or 1
    # int() would also take 1.5 (as 1) or raise TypeError on a list
    if isinstance(seq, str) and seq.strip().isdigit():
        seq = int(seq)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvalidInput("seq", "must be a whole number from 1")
    slot = access_form_slot(actor, str(row["participant"]), str(row["visit"]), str(row["form"]),
                            seq)
    confirm = row.get("confirm") or []
    if isinstance(confirm, str):
        confirm = [c.strip() for c in confirm.split(";") if c.strip()]
    if not isinstance(confirm, list) or not all(isinstance(c, str) for c in confirm):
        raise InvalidInput("confirm", "must be codes separated by ; (CSV) or a list of codes")
    values = {k: v for k, v in row.items() if k not in META_COLUMNS}
    do_save_form(actor, slot, values=values, complete=_flag(row.get("complete", False)),
                 confirm=confirm, reason=str(row.get("reason") or ""))


def import_rows(actor: Actor, rows: list[dict[str, Any]], *, all_or_nothing: bool) -> ImportResult:
    """Save each row; return counts and the errors by row number (1 = first data row)."""
    result = ImportResult(rows=len(rows))
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=1):
                try:
                    _save_row(actor, row)
                    result.saved += 1
                except FormRejected as error:
                    result.errors.extend({"row": number, **p} for p in error.as_fields())
                except InvalidInput as error:
                    result.errors.append({"row": number, "field": error.field,
                                          "rule": error.rule, "message": error.rule})
                except NotFound:
                    result.errors.append({"row": number, "field": "participant",
                                          "rule": "not_found",
                                          "message": "no such participant, visit or form"})
                except (Conflict, Forbidden) as error:
                    result.errors.append({"row": number, "field": "",
                                          "rule": getattr(error, "reason", "forbidden"),
                                          "message": str(error)})
            if all_or_nothing and result.errors:
                raise _RollBack
    except _RollBack:
        result.saved = 0
        result.rolled_back = True
    return result
