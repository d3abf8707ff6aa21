"""Every form as CSV, with a REDCap-style data dictionary describing every column.

``forms/<form>.csv``: one row per form instance, the keys first (``participant``, ``site``,
``visit``, ``seq`` for repeating forms, ``status`` draft/complete, ``version`` the number of
saves, ``protocol_version`` the protocol version the form was captured under, ``consent_data_use``
Y/N), then the allocation when the export carries one (``allocation`` says which: the dummy
allocation is labelled as such; ``armcd``, ``arm``), then the form's fields in the protocol's
order. After an amendment the files hold every recorded version's forms and fields
(``standards.protocol_versions``): a field removed later stays with its data, one added later is
blank in the rows captured before it, and the dictionary names each field once with the versions
it exists in (its annotation). Values are written as the dictionary declares them: yes/no as 1/0,
choices by code, dates ``YYYY-MM-DD``, date-times ``YYYY-MM-DD HH:MM:SS``, a result beyond an
assay's limit as CDISC writes it (``<1.5``).

``data_dictionary.csv``: REDCap's data dictionary columns (the 18 of REDCap's import template,
in its order). Form fields keep their protocol codes as variable names (unique across the
protocol, as REDCap requires); the record-level columns form a first instrument, ``record``. A
derived field is read-only text with its rule in the annotation (REDCap's calc syntax is not the
protocol's); a field with assay limits is unvalidated text so that ``<1.5`` is a value.

The files are written subject by subject, one open file per form (bounded memory).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.censored import censored_text, is_censored
from trialdesk.protocol.schema import Protocol
from trialdesk.standards.export_data import (
    DUMMY_LABEL,
    AllocationKind,
    SubjectRecord,
    TrialExport,
    check_allocation,
)
from trialdesk.standards.protocol_versions import (
    ProtocolVersion,
    VersionedForms,
    versioned_forms,
    versions_text,
)

DICTIONARY_COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]
KEY_COLUMNS = ["participant", "site", "visit", "seq", "status", "version", "protocol_version",
               "consent_data_use"]
ALLOCATION_COLUMNS = ["allocation", "armcd", "arm"]
RECORD_FORM = "record"
DECIMAL_VALIDATION = {0: "integer", 1: "number_1dp", 2: "number_2dp", 3: "number_3dp",
                      4: "number_4dp"}


def form_columns(form: Form, allocation: AllocationKind) -> list[str]:
    """The columns of ``forms/<form>.csv``."""
    extra = ALLOCATION_COLUMNS if allocation != "none" else []
    return [*KEY_COLUMNS, *extra, *(field.code for field in form.fields)]


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def csv_value(field: FormField, value: Any) -> str:
    """A stored value as the CSV writes it (the dictionary's validation type)."""
    if value is None or value == "":
        return ""
    if is_censored(value):
        return censored_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return _number(float(value)) if math.isfinite(value) else ""
    if field.type == "datetime":
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _validation(field: FormField) -> str:
    if field.lloq is not None or field.uloq is not None or field.derived is not None:
        return ""
    if field.type == "integer":
        return "integer"
    if field.type == "decimal":
        return DECIMAL_VALIDATION.get(field.decimals, "number") if field.decimals is not None \
            else "number"
    return {"date": "date_ymd", "datetime": "datetime_seconds_ymd"}.get(field.type, "")


def _field_type(field: FormField) -> str:
    if field.type == "choice":
        return "radio"
    if field.type == "yesno":
        return "yesno"
    return "text"


def _note(field: FormField, language: str) -> str:
    parts = []
    if field.unit:
        parts.append(field.unit)
    if field.soft_range is not None:
        low, high = field.soft_range.min, field.soft_range.max
        parts.append(f"expected {'' if low is None else f'{low:g}'} to "
                     f"{'' if high is None else f'{high:g}'}".replace("  ", " "))
    if field.lloq is not None or field.uloq is not None:
        limits = [f"LLOQ {field.lloq:g}" if field.lloq else "",
                  f"ULOQ {field.uloq:g}" if field.uloq else ""]
        parts.append(f"beyond the assay's limits written <limit or >limit "
                     f"({', '.join(x for x in limits if x)})")
    if field.help is not None:
        parts.append(field.help.text(language))
    return "; ".join(parts)


def _annotation(field: FormField, versions: tuple[int, ...]) -> str:
    parts = []
    if field.derived is not None:
        source = getattr(field.derived, "source", None)
        rule = f"= {source}" if source is not None else f"rule {field.derived!r}"
        parts.append(f"@READONLY derived by trialdesk: {rule}")
    if versions:
        parts.append(f"in {versions_text(versions)}")
    return "; ".join(parts)


def _bound(field: FormField, name: str) -> str:
    if field.range is None or field.type not in ("integer", "decimal") or _validation(field) == "":
        return ""
    value = getattr(field.range, name)
    return "" if value is None else f"{value:g}"


def dictionary_rows(protocol: Protocol, allocation: AllocationKind, language: str = "en",
                    arm_choices: Sequence[tuple[str, str]] = (),
                    described: VersionedForms | None = None) -> list[dict[str, str]]:
    """The data dictionary: the record-level columns, then every form's fields, each once with
    the protocol versions it exists in (``described``: every recorded version's forms; by
    default ``protocol``'s alone, as version 1)."""
    if described is None:
        described = versioned_forms([ProtocolVersion(1, protocol)])
    def row(name: str, form: str, kind: str, label: str, **more: str) -> dict[str, str]:
        values = dict.fromkeys(DICTIONARY_COLUMNS, "")
        values.update({"Variable / Field Name": name, "Form Name": form, "Field Type": kind,
                       "Field Label": label})
        for key, value in more.items():
            values[{"choices": "Choices, Calculations, OR Slider Labels", "note": "Field Note",
                    "required": "Required Field?", "header": "Section Header",
                    "annotation": "Field Annotation"}[key]] = value
        return values

    sites = " | ".join(f"{site.code}, {site.name}" for site in protocol.sites)
    rows = [
        row("participant", RECORD_FORM, "text", "Participant code", required="y",
            header="Record (one row per form instance in forms/<form>.csv)",
            note="visit, seq, status and version are the form instance's keys in every CSV"),
        row("site", RECORD_FORM, "dropdown", "Site", choices=sites, required="y"),
        row("protocol_version", RECORD_FORM, "text",
            "Protocol version the form was captured under", required="y",
            note=f"one of {', '.join(str(number) for number in described.numbers)}"),
        row("consent_data_use", RECORD_FORM, "radio",
            "Consent lets the data collected be used", choices="Y, Yes | N, No",
            required="y"),
    ]
    if allocation != "none":
        if allocation == "real" and not arm_choices:
            arm_choices = [(arm.code, arm.label.text(language)) for arm in protocol.design.arms]
        arms = " | ".join(f"{code}, {label}" for code, label in arm_choices)
        which = f"dummy, {DUMMY_LABEL}" if allocation == "dummy" else "real, Real allocation"
        rows += [
            row("allocation", RECORD_FORM, "radio", "Which allocation the arm columns hold",
                choices=which, required="y"),
            row("armcd", RECORD_FORM, "radio" if arms else "text", "Arm code", choices=arms,
                note=DUMMY_LABEL if allocation == "dummy" else ""),
            row("arm", RECORD_FORM, "text", "Arm",
                note=DUMMY_LABEL if allocation == "dummy" else ""),
        ]
    for form in described.forms:
        for number, field in enumerate(form.fields):
            choices = ""
            if field.type == "choice":
                choices = " | ".join(f"{choice.code}, {choice.label.text(language)}"
                                     for choice in field.choices)
            values = row(field.code, form.code, _field_type(field), field.label.text(language),
                         choices=choices, note=_note(field, language),
                         required="y" if field.required else "",
                         header=form.title.text(language) if number == 0 else "",
                         annotation=_annotation(field, described.versions_of(form.code,
                                                                             field.code)))
            values["Text Validation Type OR Show Slider Number"] = _validation(field)
            values["Text Validation Min"] = _bound(field, "min")
            values["Text Validation Max"] = _bound(field, "max")
            rows.append(values)
    return rows


def _record_row(subject: SubjectRecord, allocation: AllocationKind) -> dict[str, str]:
    row = {"participant": subject.code, "site": subject.site,
           "consent_data_use": subject.data_use}
    if allocation != "none":
        arm = subject.arm
        row["allocation"] = allocation if arm is not None else ""
        row["armcd"] = arm.code if arm is not None else ""
        row["arm"] = arm.display if arm is not None else ""
    return row


def write_form_csvs(export: TrialExport, folder: Path, *, language: str = "en",
                    on_subject: Callable[[SubjectRecord], None] | None = None) -> list[Path]:
    """Write ``data_dictionary.csv`` and ``forms/<form>.csv`` for every form into ``folder``."""
    described = export.described()
    folder.mkdir(parents=True, exist_ok=True)
    dictionary = folder / "data_dictionary.csv"
    with dictionary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DICTIONARY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(dictionary_rows(export.protocol, export.allocation, language,
                                         export.arm_choices, described))
    (folder / "forms").mkdir(exist_ok=True)
    paths = {form.code: folder / "forms" / f"{form.code}.csv" for form in described.forms}
    forms = {form.code: form for form in described.forms}
    days = {visit.code: visit.day for visit in described.visits}
    with ExitStack() as stack:
        writers = {}
        for code, path in paths.items():
            handle = stack.enter_context(path.open("w", newline="", encoding="utf-8"))
            writers[code] = csv.DictWriter(handle, fieldnames=form_columns(
                forms[code], export.allocation), lineterminator="\n")
            writers[code].writeheader()
        for subject in export.subjects:
            check_allocation(export.allocation, subject.arm, subject.code)
            record = _record_row(subject, export.allocation)
            for form_record in sorted(subject.forms, key=lambda r: (
                    r.form, days.get(r.visit, 10**6), r.visit, r.seq)):
                form = forms.get(form_record.form)
                if form is None:  # never leave data out silently
                    raise ValueError(f"{subject.code}: form {form_record.form!r} is in no "
                                     f"recorded protocol version")
                writers[form.code].writerow({
                    **record, "visit": form_record.visit, "seq": form_record.seq,
                    "status": form_record.status, "version": form_record.version,
                    "protocol_version": form_record.protocol_version,
                    **{field.code: csv_value(field, form_record.values.get(field.code))
                       for field in form.fields}})
            if on_subject is not None:
                on_subject(subject)
    return [dictionary, *paths.values()]
