"""Record import: every form of every row through ``capture``'s ``do_save_form``, all or nothing.

A row names a record (a participant: records are created by screening, not by an import), an
event, and for the log event a repeating instrument and instance. Each form of the event with a
value in the row is saved through the same action as a page, so its validation, audit, lock,
consent and signature rules apply; one error anywhere rolls every row back, and the answer names
each row's errors (row number, record, event, field, message).

``overwriteBehavior=normal`` keeps a stored value where the row is blank; ``overwrite`` empties
it. ``<form>_complete`` 2 marks the form complete, 0 or 1 keeps it a draft, blank keeps its status.
A change to a complete form needs a reason (the ``reason`` parameter, trialdesk's own), as on a
page. Calculated fields are recomputed, so their values in a row are ignored (an export can be
sent back as it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from trialdesk.web.capture.access import access_form_slot
from trialdesk.web.capture.actions.forms import do_save_form, entered_values
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trialdesk.web.core.transactions import writer_turn
from trialdesk.web.redcap.dictionary import (
    DAG_COLUMN,
    EVENT_COLUMN,
    RANDOMIZATION_FORM,
    RECORD_ID,
    REPEAT_COLUMNS,
    Event,
    Project,
)
from trialdesk.web.redcap.wire import RedcapError

IGNORED_COLUMNS = {DAG_COLUMN, "redcap_survey_identifier"}


class _RollBack(Exception):
    pass


@dataclass(frozen=True)
class FormRow:
    """One form of one imported row: where it goes and the values the row gives it."""

    row: int
    record: str
    event: Event
    form: str
    seq: int
    values: dict[str, str]
    complete: str | None
    blank: bool  # every value blank: only an overwrite of a stored form empties something


def eav_to_flat(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """EAV rows (record, event, [repeat], field_name, value) grouped into flat rows."""
    grouped: dict[tuple[str, ...], dict[str, str]] = {}
    for row in rows:
        key = (row.get("record", ""), row.get(EVENT_COLUMN, ""),
               row.get(REPEAT_COLUMNS[0], ""), row.get(REPEAT_COLUMNS[1], ""))
        flat = grouped.setdefault(key, {RECORD_ID: key[0], EVENT_COLUMN: key[1],
                                        REPEAT_COLUMNS[0]: key[2], REPEAT_COLUMNS[1]: key[3]})
        flat[row.get("field_name", "")] = row.get("value", "")
    return list(grouped.values())


def _form_of(project: Project, column: str) -> str | None:
    """The instrument of a column (a field, or ``<form>_complete``); None: no such column."""
    if column in project.form_of_field:
        return project.form_of_field[column]
    form = column.removesuffix("_complete")
    return form if column.endswith("_complete") and form in project.forms else None


def _form_rows(project: Project, number: int, row: Mapping[str, str], *, overwrite: bool
               ) -> list[FormRow]:
    """Split a row into its forms; InvalidInput names the first column that cannot be read."""
    record = row.get(RECORD_ID, "").strip()
    if not record:
        raise InvalidInput(RECORD_ID, "is required in every row")
    event = project.event(row.get(EVENT_COLUMN, "").strip())
    if event is None:
        raise InvalidInput(EVENT_COLUMN, "must name an event of the project (the project is "
                           f"longitudinal), not {row.get(EVENT_COLUMN, '')!r}")
    columns = {k: v for k, v in row.items()
               if k not in (RECORD_ID, EVENT_COLUMN, *REPEAT_COLUMNS) and k not in IGNORED_COLUMNS}
    form_of = {name: _form_of(project, name) for name in columns}
    for name, form in form_of.items():
        if form is None:
            raise InvalidInput(name, "is not a field of the project")
        if form == RANDOMIZATION_FORM and (columns[name] or "").strip():
            raise InvalidInput(name, "is set by the randomization (action=randomize), "
                                     "not imported")
    instrument = row.get(REPEAT_COLUMNS[0], "").strip()
    instance = row.get(REPEAT_COLUMNS[1], "").strip() or "1"
    if event.repeating and instrument not in event.forms:
        raise InvalidInput(REPEAT_COLUMNS[0], f"must name a repeating instrument of "
                           f"{event.unique_name}: {', '.join(event.forms)}")
    if not instance.isdigit() or int(instance) < 1:
        raise InvalidInput(REPEAT_COLUMNS[1], "must be a whole number from 1")
    forms = [instrument] if event.repeating else [f for f in event.forms
                                                  if f != RANDOMIZATION_FORM]
    result = []
    for form in forms:
        names = [n for n in project.fields_by_form[form] if n in columns and n != RECORD_ID]
        complete = columns.get(f"{form}_complete")
        blank = not any(columns[n].strip() for n in names) and not (complete or "").strip()
        if blank and not (overwrite and names):
            continue
        if complete is not None and complete.strip() not in ("", "0", "1", "2"):
            raise InvalidInput(f"{form}_complete", "must be 0, 1 or 2")
        result.append(FormRow(number, record, event, form, int(instance),
                              {n: columns[n] for n in names}, (complete or "").strip() or None,
                              blank))
    outside = [n for n, form in form_of.items()
               if form not in (*forms, RANDOMIZATION_FORM) and columns[n].strip()]
    if outside:
        raise InvalidInput(outside[0], f"is not collected at {event.unique_name}"
                           + (f" on {instrument}" if event.repeating else ""))
    return result


def _save(actor: Actor, item: FormRow, *, overwrite: bool, reason: str) -> None:
    slot = access_form_slot(actor, item.record, item.event.visit, item.form, item.seq)
    if item.blank and slot.instance is None:
        return  # blanks over a form never entered: nothing to empty, nothing to create
    form = slot.form
    calculated = {f.code for f in form.fields if f.derived is not None}
    given = {k: v for k, v in item.values.items() if k not in calculated}
    stored = entered_values(form, slot.instance.values) if slot.instance is not None else {}
    if overwrite:
        values: dict[str, Any] = {**stored, **given}
    else:
        values = {**stored, **{k: v for k, v in given.items() if v.strip()}}
    was_complete = slot.instance is not None and slot.instance.status == "complete"
    complete = was_complete if item.complete is None else item.complete == "2"
    do_save_form(actor, slot, values=values, complete=complete, reason=reason,
                 expected_version=slot.instance.version if slot.instance is not None else None)


def _problem(item_row: int, record: str, event: str, field: str, message: str
             ) -> dict[str, str]:
    return {"row": str(item_row), "record": record, "event": event, "field": field,
            "message": message}


def import_rows(actor: Actor, project: Project, rows: list[dict[str, str]], *,
                overwrite: bool, reason: str) -> list[str]:
    """Save every row or none; return the distinct records written, in their first row's order.
    RedcapError 400 lists every row's errors when any row fails."""
    problems: list[dict[str, str]] = []
    records: list[str] = []
    try:
        with writer_turn(), transaction.atomic():
            for number, row in enumerate(rows, start=1):
                record, event = row.get(RECORD_ID, ""), row.get(EVENT_COLUMN, "")
                try:
                    items = _form_rows(project, number, row, overwrite=overwrite)
                except InvalidInput as error:
                    problems.append(_problem(number, record, event, error.field, error.rule))
                    continue
                for item in items:
                    try:
                        _save(actor, item, overwrite=overwrite, reason=reason)
                    except FormRejected as error:
                        problems += [_problem(number, record, event, p["field"], p["message"])
                                     for p in error.as_fields()]
                    except InvalidInput as error:
                        problems.append(_problem(number, record, event, error.field, error.rule))
                    except NotFound:
                        problems.append(_problem(
                            number, record, event, RECORD_ID,
                            f"no record {record} (records are created by screening)"))
                    except (Conflict, Forbidden) as error:
                        problems.append(_problem(number, record, event, item.form, str(error)))
                    else:
                        if record not in records:
                            records.append(record)
            if problems:
                raise _RollBack
    except _RollBack:
        raise RedcapError(400, f"nothing was imported: {len(problems)} error(s); "
                               + "; ".join(f"row {p['row']} ({p['record']}, {p['event']}): "
                                           f"{p['field']}: {p['message']}"
                                           for p in problems[:10]), problems) from None
    return records
