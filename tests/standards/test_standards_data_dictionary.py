"""CSV of every form with a REDCap-style data dictionary: REDCap's columns and vocabulary, every
CSV column described, values read back (by pandas too), the allocation only as given."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from standards_export_sample import ARMS, sample_export

from trialdesk.standards.data_dictionary import (
    DICTIONARY_COLUMNS,
    KEY_COLUMNS,
    csv_value,
    dictionary_rows,
    write_form_csvs,
)
from trialdesk.standards.export_data import DUMMY_LABEL, ArmAssignment, SubjectRecord

# REDCap's data dictionary template (the header row of REDCap's "Download the Data Dictionary")
REDCAP_HEADER = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]
REDCAP_FIELD_TYPES = {"text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse",
                      "calc", "file", "slider", "descriptive", "sql"}
REDCAP_VALIDATIONS = {"", "integer", "number", "number_1dp", "number_2dp", "number_3dp",
                      "number_4dp", "date_ymd", "datetime_ymd", "datetime_seconds_ymd", "email"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def written(tmp_path: Path) -> Path:
    write_form_csvs(sample_export(), tmp_path)
    return tmp_path


def test_the_dictionary_has_redcaps_columns_and_vocabulary(written: Path) -> None:
    with (written / "data_dictionary.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == REDCAP_HEADER == DICTIONARY_COLUMNS
    rows = _rows(written / "data_dictionary.csv")
    names = [row["Variable / Field Name"] for row in rows]
    assert len(names) == len(set(names))  # REDCap: one variable name per project
    assert names[0] == "participant"  # REDCap: the record id comes first
    for row in rows:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,99}", row["Variable / Field Name"])
        assert row["Field Type"] in REDCAP_FIELD_TYPES
        assert row["Text Validation Type OR Show Slider Number"] in REDCAP_VALIDATIONS
        if row["Field Type"] in ("radio", "dropdown"):
            assert all(re.fullmatch(r"[^,]+, .+", choice.strip())
                       for choice in row["Choices, Calculations, OR Slider Labels"].split("|"))


def test_the_dictionary_describes_the_protocol(written: Path) -> None:
    protocol = sample_export().protocol
    rows = {row["Variable / Field Name"]: row for row in _rows(written / "data_dictionary.csv")}
    for form in protocol.forms:
        for field in form.fields:
            assert rows[field.code]["Form Name"] == form.code
    age = rows["age"]
    assert (age["Field Type"], age["Text Validation Type OR Show Slider Number"],
            age["Text Validation Min"], age["Text Validation Max"], age["Required Field?"]) == (
        "text", "integer", "0", "120", "y")
    assert age["Section Header"] == "Demographics" and "years" in age["Field Note"]
    assert rows["weight"]["Text Validation Type OR Show Slider Number"] == "number_1dp"
    assert rows["sex"]["Choices, Calculations, OR Slider Labels"] == "F, Female | M, Male"
    assert rows["pregnant"]["Field Type"] == "yesno"
    assert rows["ae_onset_date"]["Text Validation Type OR Show Slider Number"] == "date_ymd"
    il6 = rows["il6"]  # "<1.5" must be a valid entry: no number validation
    assert il6["Text Validation Type OR Show Slider Number"] == "" and "LLOQ 1.5" in il6[
        "Field Note"]
    assert rows["pao2_fio2"]["Field Annotation"].startswith("@READONLY")
    spanish = {row["Variable / Field Name"]: row
               for row in dictionary_rows(protocol, "none", "es")}
    assert spanish["sex"]["Field Label"] == "Sexo"


def test_every_csv_column_is_in_the_dictionary(written: Path) -> None:
    described = {row["Variable / Field Name"] for row in _rows(written / "data_dictionary.csv")}
    for path in (written / "forms").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert set(header) <= described | set(KEY_COLUMNS), path.name


def test_form_values_read_back(written: Path) -> None:
    export = sample_export()
    protocol = export.protocol
    expected = {}
    for subject in export.subjects:
        for record in subject.forms:
            form = protocol.form(record.form)
            expected[(record.form, subject.code, record.visit, str(record.seq))] = {
                field.code: csv_value(field, record.values.get(field.code))
                for field in form.fields}
    found = {}
    for form in protocol.forms:
        for row in _rows(written / "forms" / f"{form.code}.csv"):
            found[(form.code, row["participant"], row["visit"], row["seq"])] = {
                field.code: row[field.code] for field in form.fields}
    assert found == expected
    cytokines = found[("cytokines", "CO-01-001", "day0", "1")]
    assert (cytokines["il6"], cytokines["il10"], cytokines["tnf_alpha"]) == ("<1.5", "3.25", "")
    infusion = found[("infusion", "CO-02-001", "day1", "1")]
    assert (infusion["infusion_start"], infusion["infusion_reaction"]) == (
        "2020-03-02 10:15:00", "1")
    assert found[("adverse_event", "CO-01-001", "log", "2")]["ae_term"] == "Rash & itching <mild>"
    # an analyst's reader: pandas reads the numbers as numbers, the censored one as text
    frame = pd.read_csv(written / "forms" / "demographics.csv")
    assert frame.loc[0, "age"] == 54 and frame.loc[0, "weight"] == pytest.approx(70.5)
    assert pd.read_csv(written / "forms" / "cytokines.csv").loc[0, "il6"] == "<1.5"
    assert not (written / "forms" / "demographics.csv").read_text().count("msc")


def test_no_allocation_columns_without_allocation(written: Path) -> None:
    with (written / "forms" / "demographics.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert not {"allocation", "armcd", "arm"} & set(header)


def test_a_dummy_allocation_is_labelled_and_never_the_real_arm(tmp_path: Path) -> None:
    write_form_csvs(sample_export("dummy"), tmp_path)
    rows = _rows(tmp_path / "forms" / "demographics.csv")
    assert rows and all(row["allocation"] == "dummy" and DUMMY_LABEL in row["arm"] for row in rows)
    assert all(row["armcd"] != ARMS[row["participant"]] for row in rows)
    dictionary = {row["Variable / Field Name"]: row for row in
                  _rows(tmp_path / "data_dictionary.csv")}
    assert DUMMY_LABEL in dictionary["armcd"]["Field Note"]


def test_the_real_allocation_after_unblinding(tmp_path: Path) -> None:
    write_form_csvs(sample_export("real"), tmp_path)
    rows = _rows(tmp_path / "forms" / "infusion.csv")
    assert [(row["allocation"], row["armcd"]) for row in rows] == [("real", "standard")]
    assert DUMMY_LABEL not in rows[0]["arm"]


def test_a_real_arm_in_a_dummy_export_is_refused(tmp_path: Path) -> None:
    export = sample_export("dummy")
    subject = next(iter(export.subjects))
    export.subjects = [SubjectRecord(subject.code, subject.site, subject.enrolled_on,
                                     subject.forms, arm=ArmAssignment("msc", "MSC", False))]
    with pytest.raises(ValueError, match="real arm"):
        write_form_csvs(export, tmp_path)
