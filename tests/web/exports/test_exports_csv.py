"""The CSV + data dictionary export of a small trial: every form's stored values, the dictionary
describing every column, the allocation as the requester's role gets it (dummy labelled, real for
the DSMB statistician, none on request)."""

from __future__ import annotations

import csv
import io

import pytest
from exports_testkit import download, enter_trial, run_jobs_inline

from trialdesk.blinding import arm_revealing_texts
from trialdesk.standards.data_dictionary import csv_value
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import Randomization


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_trial(trial, participants=3)


def _files(trial, username: str, **body: str) -> dict[str, str]:
    response = trial.api(username).post("/api/v1/exports", {"format": "csv", **body})
    assert response.status_code == 201, response.content
    job = trial.api(username).get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    return {name: data.decode("utf-8")
            for name, data in download(trial.api(username), job["id"]).items()}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_form_with_its_stored_values_and_the_dictionary(trial, entered):
    files = _files(trial, "data_manager")
    protocol = get_protocol()
    assert set(files) == {"data_dictionary.csv",
                          *(f"forms/{form.code}.csv" for form in protocol.forms)}
    described = {row["Variable / Field Name"] for row in _rows(files["data_dictionary.csv"])}
    for form in protocol.forms:
        header = next(csv.reader(io.StringIO(files[f"forms/{form.code}.csv"])))
        assert set(header) - described <= {"visit", "seq", "status", "version"}
    found = {(form.code, row["participant"], row["visit"], row["seq"]): row
             for form in protocol.forms for row in _rows(files[f"forms/{form.code}.csv"])}
    assert len(found) == FormInstance.objects.count()
    for instance in FormInstance.objects.select_related("participant"):
        row = found[(instance.form, instance.participant.code, instance.visit, str(instance.seq))]
        form = protocol.form(instance.form)
        assert {f.code: row[f.code] for f in form.fields} == {
            f.code: csv_value(f, instance.values.get(f.code)) for f in form.fields}
        assert (row["status"], row["version"]) == (instance.status, str(instance.version))
    assert found[("cytokines", entered[0], "day0", "1")]["il6"] == "<1.5"


def test_a_blinded_role_gets_the_dummy_allocation_labelled(trial, entered):
    files = _files(trial, "analyst")
    rows = _rows(files["forms/demographics.csv"]) + _rows(files["forms/vital_signs.csv"])
    assert rows and {row["allocation"] for row in rows} == {"dummy"}
    assert {row["armcd"] for row in rows} <= {"DUMMY1", "DUMMY2"}
    assert all("DUMMY" in row["arm"] for row in rows)
    everything = "".join(files.values())
    for revealing in arm_revealing_texts(get_protocol()):
        assert revealing not in everything, revealing


def test_the_dsmb_statistician_gets_the_real_arms(trial, entered):
    rows = _rows(_files(trial, "dsmb_statistician")["forms/vital_signs.csv"])
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    assert {row["participant"]: row["armcd"] for row in rows} == arms
    assert {row["allocation"] for row in rows} == {"real"}


def test_none_means_no_allocation_columns(trial, entered):
    files = _files(trial, "analyst", allocation="none")
    header = next(csv.reader(io.StringIO(files["forms/vital_signs.csv"])))
    assert not {"allocation", "armcd", "arm"} & set(header)
    assert "armcd" not in files["data_dictionary.csv"]
