"""The SDTM export of a small trial: every domain as an XPT v5 file that reads back equal,
define.xml 2.1 valid against its schema, the allocation as the requester's role gets it."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest
from exports_testkit import enter_trial, run_jobs_inline

from trialdesk.standards.sdtm.define import validate_define
from trialdesk.standards.sdtm.xpt import is_version_5
from trialdesk.web.exports.jobs import job_folder
from trialdesk.web.trials.models import Randomization

DOMAINS = ("dm", "suppdm", "sv", "ds", "ex", "ae", "cm", "vs", "lb", "ta", "te", "tv", "ts")


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_trial(trial)


def _export(trial, username: str) -> tuple[dict, object]:
    response = trial.api(username).post("/api/v1/exports", {"format": "sdtm"})
    assert response.status_code == 201, response.content
    job = trial.api(username).get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    return job, job_folder(job["id"])


def _read(folder, name: str) -> tuple[pd.DataFrame, object]:
    return pyreadstat.read_xport(str(folder / f"{name}.xpt"))


def test_every_domain_is_a_version_5_file_and_define_xml_validates(trial, entered):
    job, folder = _export(trial, "analyst")
    assert set(job["files"]) == {f"{d}.xpt" for d in DOMAINS} | {"define.xml"}
    for name in DOMAINS:
        assert is_version_5(folder / f"{name}.xpt"), name
        _frame, meta = _read(folder, name)
        assert meta.table_name == name.upper()
        assert all(len(label) <= 40 for label in meta.column_labels)
    validate_define(folder / "define.xml")
    define = (folder / "define.xml").read_text()
    assert 'def:DefineVersion="2.1.0"' in define and "COM.DUMMY" in define


def test_a_blinded_role_gets_dummy_arms_labelled_and_a_blinded_treatment_name(trial, entered):
    _, folder = _export(trial, "data_manager")
    dm, _ = _read(folder, "dm")
    assert len(dm) == len(entered) == dm["USUBJID"].nunique()
    assert set(dm["ARMCD"]) <= {"DUMMY1", "DUMMY2"}
    assert all(arm.startswith("DUMMY ALLOCATION GROUP") for arm in dm["ARM"])
    supp, _ = _read(folder, "suppdm")
    assert set(supp.loc[supp["QNAM"] == "ARMDUMMY", "USUBJID"]) == set(dm["USUBJID"])
    # the subject-level files (the trial design ones list the arms, as the public registry does)
    text = b"".join((folder / f"{d}.xpt").read_bytes() for d in DOMAINS if d not in (
        "ta", "te", "ts")).decode("latin-1").upper()
    for revealing in ("STANDARD THERAPY PLUS MSC", "STANDARD THERAPY ALONE", "PLACEBO INFUSION",
                      "MESENCHYMAL STEM CELLS (INTRAVENOUS)"):
        assert revealing not in text


def test_the_dsmb_statistician_gets_the_real_arms(trial, entered):
    _, folder = _export(trial, "dsmb_statistician")
    dm, _ = _read(folder, "dm")
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    assert dict(zip(dm["SUBJID"], dm["ARMCD"], strict=True)) == {
        code: arm.upper() for code, arm in arms.items()}


def test_lb_writes_a_result_below_the_lloq_as_the_ig_does(trial, entered):
    _, folder = _export(trial, "analyst")
    lb, _ = _read(folder, "lb")
    il6 = lb[lb["LBTESTCD"] == "IL6"].iloc[0]
    assert (il6["LBORRES"], il6["LBSTRESC"], il6["LBORRESU"], il6["LBLLOQ"]) == (
        "<1.5", "<1.5", "pg/mL", 1.5)
    assert pd.isna(il6["LBSTRESN"])
    il10 = lb[lb["LBTESTCD"] == "IL10"].iloc[0]
    assert (il10["LBORRES"], il10["LBSTRESN"], il10["LBCAT"]) == ("14.25", 14.25, "CYTOKINES")
    crp = lb[lb["LBTESTCD"] == "CRP"].iloc[0]
    # collected (entered) today, randomized 30 days ago: study day 31 (day 1 = randomization)
    assert (crp["LBSTRESN"], crp["LBSTRESU"], crp["VISITNUM"], crp["VISITDY"], crp["LBDY"]) == (
        120.5, "mg/L", 2.0, 1.0, 31.0)
    # one sequence per subject, 1..n
    for _, rows in lb.groupby("USUBJID"):
        assert list(rows["LBSEQ"]) == list(range(1, len(rows) + 1))


def test_events_interventions_and_disposition(trial, entered):
    _, folder = _export(trial, "analyst")
    ae, _ = _read(folder, "ae")
    assert set(ae["AETERM"]) == {"Hypotension"} and set(ae["AEREL"]) == {"POSSIBLY RELATED"}
    assert set(ae["AEOUT"]) == {"RECOVERED/RESOLVED"} and set(ae["AESER"]) == {"N"}
    assert set(ae["AESTDY"]) == {2.0}
    cm, _ = _read(folder, "cm")
    assert set(cm["CMTRT"]) == {"Dexamethasone"} and set(cm["CMROUTE"]) == {"INTRAVENOUS"}
    assert set(cm["CMSTDY"]) == {-2.0}
    ds, _ = _read(folder, "ds")
    decoded = ds.groupby("USUBJID")["DSDECOD"].apply(list)
    assert sorted(map(tuple, decoded)) == sorted(
        [("INFORMED CONSENT OBTAINED", "RANDOMIZED", "DEATH")]
        + [("INFORMED CONSENT OBTAINED", "RANDOMIZED", "COMPLETED")] * (len(entered) - 1))
    vs, _ = _read(folder, "vs")
    temp = vs[vs["VSTESTCD"] == "TEMP"].iloc[0]
    assert (temp["VSORRES"], temp["VSORRESU"], temp["VSSTRESN"]) == ("37.8", "C", 37.8)
    ts, _ = _read(folder, "ts")
    assert dict(zip(ts["TSPARMCD"], ts["TSVAL"], strict=False))["TBLIND"] == "DOUBLE BLIND"
