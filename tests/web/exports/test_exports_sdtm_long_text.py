"""An adverse event term and a medication's indication over 200 bytes no longer fail the SDTM
export: AETERM and CMINDC keep the first part, SUPPAE and SUPPCM (version 5 files, described in
define.xml, which validates) the rest, and the parts joined give the entered text back exactly."""

from __future__ import annotations

import datetime as dt

import pyreadstat
import pytest
from api_client import ApiClient
from exports_testkit import COORD, enter_trial, run_jobs_inline

from trialdesk.standards.sdtm.define import validate_define
from trialdesk.standards.sdtm.xpt import VALUE_MAX, is_version_5
from trialdesk.web.exports.jobs import job_folder
from trialdesk.web.trials.models import Randomization

_WORDS = ("Hipotensión ortostática grave con síncope y caída en el baño, tratada con líquidos "
          "intravenosos; señal revisada por el médico del ensayo, sin secuelas aparentes. ")
LONG_TERM = (_WORDS * 4)[:449] + "s"  # 450 characters, 474 bytes in UTF-8
LONG_INDICATION = ("Síndrome de dificultad respiratoria aguda " * 8).strip()  # 335 characters


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    [code] = enter_trial(trial, participants=1)
    api = ApiClient(trial.users[COORD])
    base = f"/api/v1/participants/{code}/visits/log/forms"
    day0 = Randomization.objects.get(participant__code=code).randomized_at.date()
    onset = str(day0 + dt.timedelta(days=1))  # as enter_trial dates its own
    for path, values in (
        ("adverse_event?seq=2", {"ae_term": LONG_TERM, "ae_onset_date": onset, "ae_grade": "2",
                                 "ae_serious": False, "ae_relatedness": "unlikely",
                                 "ae_outcome": "recovered"}),
        ("concomitant_medication?seq=2", {"cm_name": "Furosemide",
                                          "cm_indication": LONG_INDICATION,
                                          "cm_route": "iv", "cm_start_date": onset}),
    ):
        response = api.put(f"{base}/{path}", {"values": values, "complete": True})
        assert response.status_code in (200, 201), (path, response.content)
    return code


def _read(folder, name: str):
    return pyreadstat.read_xport(str(folder / f"{name}.xpt"))[0]


def test_a_long_term_and_indication_go_on_in_suppae_and_suppcm(trial, entered):
    response = trial.api("analyst").post("/api/v1/exports", {"format": "sdtm"})
    assert response.status_code == 201, response.content
    job = trial.api("analyst").get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    folder = job_folder(job["id"])
    assert {"suppae.xpt", "suppcm.xpt"} <= set(job["files"])
    assert is_version_5(folder / "suppae.xpt") and is_version_5(folder / "suppcm.xpt")
    validate_define(folder / "define.xml")
    define = (folder / "define.xml").read_text()
    assert 'OID="IG.SUPPAE"' in define and 'OID="IG.SUPPCM"' in define
    for qnam in ("SUPPAE.QVAL.AETERM1", "SUPPAE.QVAL.AEDECOD2", "SUPPCM.QVAL.CMINDC1"):
        assert f'OID="IT.{qnam}"' in define  # QVAL's value-level metadata, one a QNAM

    ae, suppae = _read(folder, "ae"), _read(folder, "suppae")
    [long_one] = ae[ae["AETERM"] != "Hypotension"].itertuples()
    assert len(long_one.AETERM.encode("utf-8")) <= VALUE_MAX
    term = suppae[suppae["QNAM"].str.startswith("AETERM")]
    assert list(term["QNAM"]) == ["AETERM1", "AETERM2"]
    assert set(term["IDVAR"]) == {"AESEQ"} and set(term["IDVARVAL"]) == {f"{long_one.AESEQ:g}"}
    assert set(term["USUBJID"]) == {long_one.USUBJID}
    assert long_one.AETERM + "".join(term["QVAL"]) == LONG_TERM
    # not coded by a safety database: AEDECOD is the term in capitals, continued likewise
    decod = suppae[suppae["QNAM"].str.startswith("AEDECOD")]
    assert long_one.AEDECOD + "".join(decod["QVAL"]) == LONG_TERM.upper()

    cm, suppcm = _read(folder, "cm"), _read(folder, "suppcm")
    [long_med] = cm[cm["CMTRT"] == "Furosemide"].itertuples()
    assert list(suppcm["QNAM"]) == ["CMINDC1"]
    assert set(suppcm["IDVARVAL"]) == {f"{long_med.CMSEQ:g}"}
    assert long_med.CMINDC + "".join(suppcm["QVAL"]) == LONG_INDICATION
