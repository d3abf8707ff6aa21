"""Exports of an amended trial (issue 17): after the amendment of the acceptance test (a required
weight added to the vital signs) plus a log form it adds, the CSV + data dictionary, ODM and SDTM
exports run and hold every version's forms and fields: the new field's value in the rows captured
under version 2, blank in those captured under version 1, the new form's entry, and each form
entry's protocol version."""

from __future__ import annotations

import csv
import io

import pyreadstat
import pytest
from amended_exports_kit import (
    NEW_FIELD,
    NEW_FORM,
    NEW_FORM_FIELD,
    NEW_WEIGHT,
    PRONE_HOURS,
    enter_amended_trial,
)
from exports_testkit import download, run_jobs_inline
from lxml import etree as ET

from trialdesk.standards.odm import ODM_NS, validate_odm
from trialdesk.web.exports.jobs import job_folder
from trialdesk.web.exports.open_formats import ODM_FILE

ODM = {"odm": ODM_NS}


@pytest.fixture
def amended(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_amended_trial(trial)


def _job(trial, export_format: str, username: str = "data_manager") -> dict:
    response = trial.api(username).post("/api/v1/exports", {"format": export_format})
    assert response.status_code == 201, response.content
    job = trial.api(username).get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    return job


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_holds_both_versions_and_the_dictionary_says_which(trial, amended):
    job = _job(trial, "csv")
    files = {name: data.decode("utf-8")
             for name, data in download(trial.api("data_manager"), job["id"]).items()}
    vitals = {row["visit"]: row for row in _rows(files["forms/vital_signs.csv"])
              if row["participant"] == amended.participant}
    assert (vitals["day0"]["protocol_version"], vitals["day0"][NEW_FIELD]) == ("1", "")
    assert (vitals["day7"]["protocol_version"], vitals["day7"][NEW_FIELD]) == ("2", "70.5")
    assert (vitals["day21"]["protocol_version"], vitals["day21"][NEW_FIELD]) == ("2", "71.5")
    assert vitals["day0"]["heart_rate"] == vitals["day7"]["heart_rate"] == "90"
    [prone] = _rows(files[f"forms/{NEW_FORM}.csv"])
    assert (prone["participant"], prone["protocol_version"], prone[NEW_FORM_FIELD]) == (
        amended.participant, "2", str(PRONE_HOURS))

    dictionary = _rows(files["data_dictionary.csv"])
    names = [row["Variable / Field Name"] for row in dictionary]
    assert len(names) == len(set(names))  # each field once, whatever the versions
    by_name = {row["Variable / Field Name"]: row for row in dictionary}
    assert by_name[NEW_FIELD]["Form Name"] == "vital_signs"
    assert "in protocol version 2" in by_name[NEW_FIELD]["Field Annotation"]
    assert "in protocol versions 1, 2" in by_name["heart_rate"]["Field Annotation"]
    assert by_name[NEW_FORM_FIELD]["Form Name"] == NEW_FORM
    assert "protocol_version" in by_name
    for name, text in files.items():
        if name.startswith("forms/"):
            header = next(csv.reader(io.StringIO(text)))
            assert set(header) <= set(by_name) | {"visit", "seq", "status", "version"}, name


def test_the_odm_export_validates_with_each_form_under_its_own_metadata_version(trial, amended):
    path = job_folder(_job(trial, "odm")["id"]) / ODM_FILE
    assert validate_odm(path) == []
    root = ET.parse(str(path)).getroot()
    versions = root.xpath("//odm:MetaDataVersion/@OID", namespaces=ODM)
    assert versions == ["MDV.v1", "MDV.v2"]
    item = f"IT.vital_signs.{NEW_FIELD}"
    assert not root.xpath(f"//odm:MetaDataVersion[@OID='MDV.v1']//odm:ItemDef[@OID='{item}']",
                          namespaces=ODM)
    assert root.xpath(f"//odm:MetaDataVersion[@OID='MDV.v2']//odm:ItemDef[@OID='{item}']",
                      namespaces=ODM)
    # CO-01 works under version 2 since its approval; CO-02 has only version 1
    refs = {location.get("OID"): location.xpath("odm:MetaDataVersionRef/@MetaDataVersionOID",
                                                namespaces=ODM)
            for location in root.xpath("//odm:Location", namespaces=ODM)}
    assert refs["LOC.CO-01"] == ["MDV.v1", "MDV.v2"] and refs["LOC.CO-02"] == ["MDV.v1"]

    def forms_under(version: str) -> dict[tuple[str, str], dict[str, str]]:
        found: dict[tuple[str, str], dict[str, str]] = {}
        for event in root.xpath(
                f"//odm:ClinicalData[@MetaDataVersionOID='{version}']/odm:SubjectData"
                f"[@SubjectKey='{amended.participant}']/odm:StudyEventData", namespaces=ODM):
            for form in event.xpath("odm:FormData", namespaces=ODM):
                values = found.setdefault((event.get("StudyEventOID"), form.get("FormOID")), {})
                for data in form.xpath(".//odm:ItemData", namespaces=ODM):
                    values[data.get("ItemOID")] = data.get("Value")
        return found

    old, new = forms_under("MDV.v1"), forms_under("MDV.v2")
    assert set(old) == {("SE.day0", "F.vital_signs")}
    assert item not in old[("SE.day0", "F.vital_signs")]
    assert new[("SE.day7", "F.vital_signs")][item] == str(NEW_WEIGHT)
    assert new[("SE.day21", "F.vital_signs")][item] == str(NEW_WEIGHT + 1)
    assert new[("SE.LOG", f"F.{NEW_FORM}")][f"IT.{NEW_FORM}.{NEW_FORM_FIELD}"] == "16.0"
    kinds = root.xpath(f"//odm:SubjectData[@SubjectKey='{amended.participant}']"
                       "/@TransactionType", namespaces=ODM)
    assert kinds == ["Insert", "Update"]


def test_the_sdtm_export_carries_the_new_field_into_vs(trial, amended):
    folder = job_folder(_job(trial, "sdtm")["id"])
    vs, _ = pyreadstat.read_xport(str(folder / "vs.xpt"))
    mine = vs[vs["USUBJID"].str.endswith(amended.participant)]
    weights = mine[mine["VSTEST"] == "Body weight"].sort_values("VISITNUM")
    assert list(weights["VISIT"]) == ["DAY 7", "DAY 21"]  # the visit the amendment adds named
    assert list(weights["VSSTRESN"]) == [NEW_WEIGHT, NEW_WEIGHT + 1]
    assert list(weights["VSTESTCD"]) == ["WEIGHTKG", "WEIGHTKG"]
    assert set(mine.loc[mine["VSTESTCD"] == "PULSE", "VSORRES"]) == {"90"}
    tv, _ = pyreadstat.read_xport(str(folder / "tv.xpt"))
    assert "DAY 21" in set(tv["VISIT"])
