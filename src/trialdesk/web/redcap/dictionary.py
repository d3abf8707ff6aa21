"""The trial's protocol as a REDCap project: data dictionary, instruments, events, one arm.

- The record is the participant; its ID field (``record_id``) comes first, on the first form.
- Events are the protocol's visits (``day0_arm_1`` ...): the project is longitudinal, and the
  visit schedule is its form-event mapping. Repeating forms that no visit lists (adverse events,
  medications) are repeating instruments of one more event, ``log_arm_1``.
- One REDCap arm, ``Arm 1``. The trial's arms are its blinded groups: they are never REDCap arms,
  which every caller reads in event names.
- The randomization is an instrument of the randomization visit whose fields are the
  randomization number, the kit code and the time: what a blinded caller may know. No field
  carries the group, so no method can hand it out.
- Data access groups are the sites.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from trialdesk.protocol import Protocol
from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.censored import censored_text, is_censored
from trialdesk.web.capture.access import LOG_VISIT

RECORD_ID = "record_id"
ARM_NUMBER = 1
ARM_NAME = "Arm 1"
RANDOMIZATION_FORM = "randomization"
RANDOMIZATION_FIELDS = ("rand_number", "rand_kit_code", "rand_datetime")
EVENT_COLUMN = "redcap_event_name"
REPEAT_COLUMNS = ("redcap_repeat_instrument", "redcap_repeat_instance")
DAG_COLUMN = "redcap_data_access_group"
COMPLETE = {"draft": "0", "complete": "2"}
COMPLETE_LABELS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
METADATA_COLUMNS = (
    "field_name", "form_name", "section_header", "field_type", "field_label",
    "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
    "text_validation_min", "text_validation_max", "identifier", "branching_logic",
    "required_field", "custom_alignment", "question_number", "matrix_group_name",
    "matrix_ranking", "field_annotation",
)
_VALIDATION = {"integer": "integer", "decimal": "number", "date": "date_ymd",
               "datetime": "datetime_ymd"}


@dataclass(frozen=True)
class Event:
    unique_name: str
    visit: str
    label: str
    day: int
    offset_min: int
    offset_max: int
    forms: tuple[str, ...]

    @property
    def repeating(self) -> bool:
        return self.visit == LOG_VISIT


@dataclass(frozen=True)
class Project:
    """The REDCap view of one protocol, built once per protocol."""

    protocol: Protocol
    events: tuple[Event, ...]
    forms: tuple[str, ...]
    fields_by_form: dict[str, tuple[str, ...]]
    form_of_field: dict[str, str]
    # every field's protocol definition (None: the record ID and the randomization's fields)
    definitions: dict[str, FormField | None]

    def event(self, unique_name: str) -> Event | None:
        return next((e for e in self.events if e.unique_name == unique_name), None)

    def form(self, code: str) -> Form | None:
        return next((form for form in self.protocol.forms if form.code == code), None)

    def field(self, name: str) -> FormField | None:
        return self.definitions.get(name)

    def form_label(self, code: str) -> str:
        form = self.form(code)
        return form.title.text("en") if form is not None else "Randomization"


def randomization_visit(protocol: Protocol) -> str:
    """The visit of the randomization: day 0, else the first visit after screening."""
    visits = sorted(protocol.visits, key=lambda visit: visit.day)
    return next((v.code for v in visits if v.day == 0), next(
        (v.code for v in visits if v.day >= 0), visits[-1].code))


def _build(protocol: Protocol) -> Project:
    randomized_at = randomization_visit(protocol)
    events = [Event(f"{visit.code}_arm_{ARM_NUMBER}", visit.code, visit.title.text("en"),
                    visit.day, -visit.window_before, visit.window_after,
                    (*visit.forms, *((RANDOMIZATION_FORM,) if visit.code == randomized_at else ())))
              for visit in protocol.visits]
    scheduled = {code for visit in protocol.visits for code in visit.forms}
    logged = tuple(f.code for f in protocol.forms if f.repeating and f.code not in scheduled)
    if logged:
        last_day = max(visit.day for visit in protocol.visits)
        events.append(Event(f"{LOG_VISIT}_arm_{ARM_NUMBER}", LOG_VISIT,
                            "Log (repeating forms)", last_day + 1, 0, 0, logged))
    forms = (*(f.code for f in protocol.forms), RANDOMIZATION_FORM)
    fields_by_form = {form.code: tuple(f.code for f in form.fields) for form in protocol.forms}
    first = protocol.forms[0].code
    fields_by_form[first] = (RECORD_ID, *fields_by_form[first])
    fields_by_form[RANDOMIZATION_FORM] = RANDOMIZATION_FIELDS
    form_of_field = {name: form for form, names in fields_by_form.items() for name in names}
    definitions: dict[str, FormField | None] = dict.fromkeys(form_of_field)
    definitions.update({f.code: f for form in protocol.forms for f in form.fields})
    return Project(protocol, tuple(events), forms, fields_by_form, form_of_field, definitions)


# the protocol in use and its project (the server's protocol is loaded once, tests swap it)
_built: list[tuple[Protocol, Project]] = []


def project_of(protocol: Protocol) -> Project:
    """The REDCap project of ``protocol``, built on the first call for it."""
    if not _built or _built[0][0] is not protocol:
        _built[:] = [(protocol, _build(protocol))]
    return _built[0][1]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _choices(form_field: FormField) -> str:
    if form_field.type == "yesno":
        return "0, No|1, Yes"
    return "|".join(f"{c.code}, {c.label.text('en')}" for c in form_field.choices)


def _field_row(form: str, form_field: FormField) -> dict[str, str]:
    row = dict.fromkeys(METADATA_COLUMNS, "")
    derived = form_field.derived
    kind = {"choice": "radio", "yesno": "yesno"}.get(form_field.type, "text")
    row.update(field_name=form_field.code, form_name=form, field_label=form_field.label.text("en"),
               field_type="calc" if derived is not None else kind,
               select_choices_or_calculations=(getattr(derived, "source", "")
                                               if derived is not None else _choices(form_field)),
               field_note=form_field.unit or "",
               required_field="y" if form_field.required else "")
    if derived is None:
        row["text_validation_type_or_show_slider_number"] = _VALIDATION.get(form_field.type, "")
    if form_field.range is not None:
        row["text_validation_min"] = _number(form_field.range.min)
        row["text_validation_max"] = _number(form_field.range.max)
    return row


def metadata_rows(project: Project) -> list[dict[str, str]]:
    """The data dictionary: the record-ID field first, then every form's fields in form order."""
    first = project.protocol.forms[0].code
    record_id = dict.fromkeys(METADATA_COLUMNS, "")
    record_id.update(field_name=RECORD_ID, form_name=first, field_type="text",
                     field_label="Participant code", required_field="y")
    rows = [record_id]
    for form in project.protocol.forms:
        rows += [_field_row(form.code, form_field) for form_field in form.fields]
    for name, label, validation in zip(
            RANDOMIZATION_FIELDS, ("Randomization number", "Kit code", "Randomized at"),
            ("", "", "datetime_ymd"), strict=True):
        row = dict.fromkeys(METADATA_COLUMNS, "")
        row.update(field_name=name, form_name=RANDOMIZATION_FORM, field_type="text",
                   field_label=label, text_validation_type_or_show_slider_number=validation,
                   field_annotation="@READONLY")
        rows.append(row)
    return rows


def export_field_names(project: Project, field: str | None = None) -> list[dict[str, str]]:
    """Every field as exported (no checkbox fields in the protocol's types: one name each), each
    form's ``<form>_complete`` after its fields."""
    rows = []
    for form in project.forms:
        for name in (*project.fields_by_form[form], f"{form}_complete"):
            if field is None or name == field:
                rows.append({"original_field_name": name, "choice_value": "",
                             "export_field_name": name})
    return rows


def export_value(form_field: FormField | None, stored: Any, *, label: bool) -> str:
    """A stored value as REDCap writes it: raw codes (yes/no as 1/0, dates as YYYY-MM-DD,
    date-times as YYYY-MM-DD HH:MM) or, with ``label``, the choice's English label. The common
    types are tested first, by exact type: an export converts hundreds of thousands of values."""
    kind = type(stored)
    if stored is None or stored == "":
        return ""
    if kind is str:
        if form_field is None:
            return stored
        if form_field.type == "datetime":
            return _redcap_datetime(stored)
        if label and form_field.type == "choice":
            choice = next((c for c in form_field.choices if c.code == stored), None)
            return choice.label.text("en") if choice is not None else stored
        return stored
    if kind is bool:
        return ("Yes" if stored else "No") if label else ("1" if stored else "0")
    if kind is int:
        return str(stored)
    if kind is float:
        return str(int(stored)) if stored.is_integer() else repr(stored)
    if is_censored(stored):
        return censored_text(stored)
    return str(stored)


def _redcap_datetime(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    return shown
