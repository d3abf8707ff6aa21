"""Record export: flat rows (a record's event, or one instance of a repeating form) or EAV rows,
read a page of participants at a time and streamed, so 10,000 participants need no more memory
than 500 do.

A caller sees the participants the trial's access layer gives them (their site, for site roles);
naming a record they may not see is answered as for one that does not exist. The randomization
instrument holds the number, the kit code and the time: never the group.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.actor import Actor
from trialdesk.web.redcap.dictionary import (
    COMPLETE,
    COMPLETE_LABELS,
    DAG_COLUMN,
    EVENT_COLUMN,
    RANDOMIZATION_FIELDS,
    RANDOMIZATION_FORM,
    RECORD_ID,
    REPEAT_COLUMNS,
    Event,
    Project,
    export_value,
)
from trialdesk.web.redcap.wire import Params, RedcapError
from trialdesk.web.trials.access import visible_participants
from trialdesk.web.trials.models import Randomization

PAGE = 500  # participants read per query


@dataclass(frozen=True)
class Selection:
    """What to export: the records (None: all the caller sees), fields, events and options."""

    records: tuple[str, ...] | None
    fields: tuple[str, ...]  # in dictionary order, record_id first, <form>_complete included
    events: tuple[Event, ...]
    labels: bool
    label_headers: bool
    dags: bool
    decimal_comma: bool = False  # decimalCharacter=",": decimals and calculations as 37,5
    # exportBlankForGrayFormStatus: a form of the row's event with no entry (gray in REDCap)
    # has a blank <form>_complete, not REDCap's default 0 (Incomplete)
    blank_for_gray: bool = False

    @property
    def columns(self) -> list[str]:
        meta = [EVENT_COLUMN, *REPEAT_COLUMNS, *([DAG_COLUMN] if self.dags else [])]
        return [RECORD_ID, *meta, *self.fields[1:]]

    def forms(self, project: Project) -> list[str]:
        wanted = set(self.fields)
        return [form for form in project.forms
                if wanted & {*project.fields_by_form[form], f"{form}_complete"}]


def selection_from(project: Project, params: Params) -> Selection:
    """Read the filters; an unknown field, form or event name is an error naming it. A filter
    this server does not apply is refused, not ignored: a script would take the whole export for
    the subset it asked for."""
    for unsupported in ("filterLogic", "dateRangeBegin", "dateRangeEnd"):
        if params.text(unsupported):
            raise RedcapError(400, f"{unsupported}: is not supported by this server; filter "
                                   "by records, fields, forms and events")
    fields, forms = params.array("fields"), params.array("forms")
    unknown_forms = [form for form in forms if form not in project.forms]
    if unknown_forms:
        raise RedcapError(400, f"forms: no instrument {', '.join(unknown_forms)}")
    complete_names = {f"{form}_complete": form for form in project.forms}
    unknown = [f for f in fields if f not in project.form_of_field and f not in complete_names]
    if unknown:
        raise RedcapError(400, f"fields: no field {', '.join(unknown)}")
    wanted = set(fields)
    for form in forms:
        wanted |= {*project.fields_by_form[form], f"{form}_complete"}
    ordered = [name for form in project.forms
               for name in (*project.fields_by_form[form], f"{form}_complete")
               if not wanted or name in wanted or name == RECORD_ID]
    event_names = params.array("events")
    events = [project.event(name) for name in event_names]
    missing = [name for name, event in zip(event_names, events, strict=True) if event is None]
    if missing:
        raise RedcapError(400, f"events: no event {', '.join(missing)}")
    records = params.array("records")
    return Selection(
        records=tuple(dict.fromkeys(records)) or None, fields=tuple(ordered),
        events=tuple(e for e in events if e is not None) or project.events,
        labels=params.choice("rawOrLabel", ("raw", "label"), "raw") == "label",
        label_headers=params.choice("rawOrLabelHeaders", ("raw", "label"), "raw") == "label",
        dags=params.flag("exportDataAccessGroups"),
        decimal_comma=params.choice("decimalCharacter", ("", ".", ","), "") == ",",
        blank_for_gray=params.flag("exportBlankForGrayFormStatus"),
    )


def _participants(actor: Actor, selection: Selection):
    participants = visible_participants(actor)
    if selection.records is not None:
        found = set(participants.filter(code__in=selection.records)
                    .values_list("code", flat=True))
        missing = [code for code in selection.records if code not in found]
        if missing:  # not visible reads the same as not existing
            raise RedcapError(400, f"records: no record {', '.join(missing[:20])}")
        participants = participants.filter(code__in=selection.records)
    return participants.order_by("code")


def check_records(actor: Actor, selection: Selection) -> None:
    """Raise before streaming when a record asked for is not the caller's to read."""
    _participants(actor, selection)


def _pages(actor: Actor, selection: Selection) -> Iterator[list[tuple[int, str, str]]]:
    """(participant id, code, site code) a page at a time, by code (keyset paging)."""
    queryset = _participants(actor, selection)
    last = ""
    while True:
        page = list(queryset.filter(code__gt=last).values_list("pk", "code", "site__code")[:PAGE])
        if not page:
            return
        yield page
        last = page[-1][1]


def _randomizations(ids: list[int]) -> dict[int, dict[str, Any]]:
    # the number, the kit and the time: the slot's arm is never selected
    rows = Randomization.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "pk", "slot__kit_code", "randomized_at")
    return {pid: {"rand_number": f"R{pk:05d}", "rand_kit_code": kit,
                  "rand_datetime": at.strftime("%Y-%m-%d %H:%M"), "status": "complete"}
            for pid, pk, kit, at in rows}


def dag_name(site_code: str) -> str:
    """A site's unique group name, as REDCap spells them (lower case, underscores)."""
    return site_code.lower().replace("-", "_")


def flat_rows(actor: Actor, project: Project, selection: Selection) -> Iterator[dict[str, str]]:
    """One row per record and event with data (the first event always: it holds the record
    ID), and one per instance of a repeating form."""
    forms = selection.forms(project)
    wanted = set(selection.fields)
    # per form, once: the wanted fields with their definitions, and its complete field if wanted
    plans = {form: ([(name, project.field(name)) for name in project.fields_by_form[form]
                     if name in wanted and name != RECORD_ID],
                    f"{form}_complete" if f"{form}_complete" in wanted else None)
             for form in forms}
    blank = dict.fromkeys(selection.columns, "")
    event_forms = [(event, [f for f in event.forms if f in forms]) for event in selection.events]
    randomized_at = next(e.visit for e in project.events if RANDOMIZATION_FORM in e.forms)
    labels = selection.labels
    gray = "" if selection.blank_for_gray else (COMPLETE_LABELS["0"] if labels else "0")
    # REDCap's decimalCharacter applies to number-validated fields and calculations; the
    # stored values have a dot already, so only a comma changes anything
    comma = frozenset(
        name for name, definition in project.definitions.items() if selection.decimal_comma
        and definition is not None
        and (definition.type == "decimal" or definition.derived is not None))
    for page in _pages(actor, selection):
        ids = [pid for pid, _, _ in page]
        stored: dict[int, dict[tuple[str, str], dict[int, tuple[str, dict]]]] = defaultdict(
            lambda: defaultdict(dict))
        # by participant only: with the forms in the query too, SQLite's planner walks the
        # (form, visit) index through every participant's forms, 25 times slower at 10,000
        # participants; the values come as text and only the wanted forms' are decoded
        instances = FormInstance.objects.filter(participant_id__in=ids).annotate(
            text=Cast("values", TextField()))
        for pid, visit, form, seq, status, text in instances.values_list(
                "participant_id", "visit", "form", "seq", "status", "text").iterator(2000):
            if form in plans:
                stored[pid][(visit, form)][seq] = (status, json.loads(text))
        randomized = _randomizations(ids) if RANDOMIZATION_FORM in forms else {}
        for pid, code, site in page:
            mine = stored.get(pid, {})
            if pid in randomized:
                rand = randomized[pid]
                mine[(randomized_at, RANDOMIZATION_FORM)] = {1: (rand["status"], rand)}
            base = {**blank, RECORD_ID: code}
            if selection.dags:
                base[DAG_COLUMN] = dag_name(site)
            for index, (event, names) in enumerate(event_forms):
                if event.repeating:
                    for form in names:
                        for seq, entry in sorted(mine.get((event.visit, form), {}).items()):
                            row = {**base, EVENT_COLUMN: event.unique_name,
                                   REPEAT_COLUMNS[0]: form, REPEAT_COLUMNS[1]: str(seq)}
                            _fill(plans, labels, row, {form: entry}, comma)
                            yield row
                    continue
                entries = {form: mine[(event.visit, form)][1] for form in names
                           if 1 in mine.get((event.visit, form), {})}
                if entries or (index == 0 and event == project.events[0]):
                    row = {**base, EVENT_COLUMN: event.unique_name}
                    for form in names:
                        if form not in entries and plans[form][1] is not None:
                            row[plans[form][1]] = gray
                    _fill(plans, labels, row, entries, comma)
                    yield row


def _fill(plans: dict[str, tuple[list[tuple[str, Any]], str | None]], labels: bool,
          row: dict[str, str], entries: dict[str, tuple[str, dict]],
          comma: frozenset[str] = frozenset()) -> None:
    for form, (status, values) in entries.items():
        fields, complete = plans[form]
        for name, definition in fields:
            row[name] = export_value(definition, values.get(name), label=labels)
            if comma and name in comma:
                row[name] = row[name].replace(".", ",")
        if complete is not None:
            raw = COMPLETE.get(status, "0")
            row[complete] = COMPLETE_LABELS[raw] if labels else raw


def eav_rows(actor: Actor, project: Project, selection: Selection) -> Iterator[dict[str, str]]:
    """REDCap's EAV shape: one row per non-blank value (record, event, field, value); a form
    with no entry has no value, so no status row either, whatever exportBlankForGrayFormStatus
    says."""
    for row in flat_rows(actor, project, replace(selection, blank_for_gray=True)):
        head = {"record": row[RECORD_ID], EVENT_COLUMN: row[EVENT_COLUMN],
                REPEAT_COLUMNS[0]: row[REPEAT_COLUMNS[0]],
                REPEAT_COLUMNS[1]: row[REPEAT_COLUMNS[1]]}
        for name in selection.fields[1:]:
            if row.get(name, "") != "":
                yield {**head, "field_name": name, "value": row[name]}


EAV_COLUMNS: Sequence[str] = ("record", EVENT_COLUMN, *REPEAT_COLUMNS, "field_name", "value")


def header_labels(project: Project, columns: Sequence[str]) -> list[str]:
    """csv headers as field labels (``rawOrLabelHeaders=label``)."""
    labels = {RANDOMIZATION_FIELDS[0]: "Randomization number",
              RANDOMIZATION_FIELDS[1]: "Kit code", RANDOMIZATION_FIELDS[2]: "Randomized at",
              RECORD_ID: "Participant code", EVENT_COLUMN: "Event Name",
              REPEAT_COLUMNS[0]: "Repeat Instrument", REPEAT_COLUMNS[1]: "Repeat Instance",
              DAG_COLUMN: "Data Access Group"}
    shown = []
    for column in columns:
        form_field = project.field(column)
        if form_field is not None:
            shown.append(form_field.label.text("en"))
        elif column.endswith("_complete") and column not in labels:
            shown.append("Complete?")
        else:
            shown.append(labels.get(column, column))
    return shown
