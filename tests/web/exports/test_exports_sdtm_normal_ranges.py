"""The SDTM export's LB normal ranges through the whole server (issue 21): a woman's and a man's
laboratory results placed against the protocol's ranges (ferritin's differ by sex; IL-6 below its
LLOQ); then an amendment that changes CRP's range: a result captured under the amended version is
read against the new range, one captured before keeps the old. define.xml describes them: valid
Define-XML 2.1 with LBNRIND's code list, LBORRES a test code at a time, and a blinded requester's
arm code list holding the dummy groups only."""

from __future__ import annotations

import datetime as dt
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyreadstat
import pytest
from eligible import ELIGIBLE_VALUES
from enrollment import randomize
from exports_testkit import run_jobs_inline

from trialdesk.standards.sdtm.define import DEF, ODM, validate_define
from trialdesk.web.exports.jobs import job_folder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "amendments"))
from amendment_kit import AMENDMENTS, amend, base_text

NS = {"odm": ODM, "def": DEF}
OLD_CRP = 'reference_range = { unit = "mg/L", low = 0.08, high = 3.1 }'
NEW_CRP = 'reference_range = { unit = "mg/L", low = 0.08, high = 5 }'
LABS = {"crp": 4.0, "ferritin": 320, "d_dimer": 1500, "lymphocytes": 0.6}


def _save(client, code: str, path: str, values: dict) -> None:
    response = client.put(f"/api/v1/participants/{code}/visits/{path}",
                          {"values": values, "complete": True})
    assert response.status_code in (200, 201), (path, response.content)


@pytest.fixture
def exported(trial, monkeypatch, tmp_path):
    """A woman and a man with day-0 laboratory and cytokine results under version 1, the CRP
    range amended (version 2, approved at CO-01 today), the woman's day-3 results under it; the
    data manager's (blinded) SDTM export."""
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    site, admin = trial.api("investigator-co-01"), trial.api("admin")
    people = {}
    for sex in ("F", "M"):
        code, _ = randomize(site, days_ago=10)
        _save(site, code, "screening/forms/demographics", {"age": ELIGIBLE_VALUES["age"],
                                                           "sex": sex})
        _save(site, code, "day0/forms/laboratory", LABS)
        _save(site, code, "day0/forms/cytokines", {"il1b": 2.5, "il6": "<1.5", "tnf_alpha": 12,
                                                    "il10": 14.25})
        people[sex] = code
    today = dt.datetime.now(dt.UTC).date().isoformat()
    text = base_text()
    assert text.count(OLD_CRP) == 1
    recorded = amend(admin, text.replace(OLD_CRP, NEW_CRP), effective_date=today,
                     reason="CRP reference range of the central laboratory")
    assert recorded.status_code == 201, recorded.content
    approved = admin.post(f"{AMENDMENTS}/2/approvals", {"site": "CO-01", "approval_date": today})
    assert approved.status_code == 201, approved.content
    _save(site, people["F"], "day3/forms/laboratory", LABS)
    response = trial.api("data_manager").post("/api/v1/exports", {"format": "sdtm"})
    assert response.status_code == 201, response.content
    job = trial.api("data_manager").get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    return people, job_folder(job["id"])


def _lb(folder, code: str, testcd: str) -> list[dict]:
    lb, _ = pyreadstat.read_xport(str(folder / "lb.xpt"))
    rows = lb[(lb["SUBJID"] == code) if "SUBJID" in lb else lb["USUBJID"].str.endswith(code)]
    rows = rows[rows["LBTESTCD"] == testcd].sort_values("VISITNUM")
    return rows[["VISIT", "LBORRES", "LBORNRLO", "LBORNRHI", "LBSTNRHI", "LBNRIND"]].to_dict(
        "records")


def test_each_result_is_placed_against_the_range_for_its_sex_and_version(exported):
    people, folder = exported
    woman, man = people["F"], people["M"]
    # ferritin 320 ng/mL: above a woman's 11-307, within a man's 24-336
    assert [(r["LBORNRLO"], r["LBORNRHI"], r["LBNRIND"]) for r in _lb(folder, woman, "FERRITIN")
            ] == [("11", "307", "HIGH")] * 2
    assert [(r["LBORNRLO"], r["LBORNRHI"], r["LBNRIND"]) for r in _lb(folder, man, "FERRITIN")
            ] == [("24", "336", "NORMAL")]
    # CRP 4 mg/L: HIGH against version 1's 0.08-3.1 (day 0), NORMAL against version 2's 0.08-5
    crp = _lb(folder, woman, "CRP")
    assert [(r["VISIT"], r["LBORNRHI"], r["LBSTNRHI"], r["LBNRIND"]) for r in crp] == [
        ("DAY 0 (RANDOMIZATION)", "3.1", 3.1, "HIGH"), ("DAY 3", "5", 5.0, "NORMAL")]
    # IL-6 below its LLOQ: character only, and surely within the normal range (up to 7)
    assert [(r["LBORRES"], r["LBORNRHI"], r["LBNRIND"]) for r in _lb(folder, man, "IL6")] == [
        ("<1.5", "7", "NORMAL")]
    # no range for IL-1 beta: nothing invented
    assert [(r["LBORNRHI"], r["LBNRIND"]) for r in _lb(folder, man, "IL1B")] == [("", "")]


def test_define_xml_describes_the_ranges_and_lists_only_the_dummy_groups(exported):
    _, folder = exported
    validate_define(folder / "define.xml")
    version = ET.parse(folder / "define.xml").getroot().find(  # noqa: S314 - our own file
        "odm:Study/odm:MetaDataVersion", NS)
    arms = {item.get("CodedValue") for item in version.find("odm:CodeList[@OID='CL.ARMCD']", NS)}
    assert arms and arms <= {"DUMMY1", "DUMMY2"}
    assert [i.get("CodedValue") for i in version.find("odm:CodeList[@OID='CL.NRIND']", NS)] == [
        "LOW", "NORMAL", "HIGH"]
    listed = version.find("def:ValueListDef[@OID='VL.LB.LBORRES']", NS)
    tests = {ref.get("ItemOID").rsplit(".", 1)[1] for ref in listed.findall("odm:ItemRef", NS)}
    assert tests == {"CRP", "FERRITIN", "DDIMER", "LYM", "IL1B", "IL6", "TNFA", "IL10"}
    assert version.find("odm:ItemDef[@OID='IT.LB.LBORRES.IL6']", NS).get("DataType") == "text"
