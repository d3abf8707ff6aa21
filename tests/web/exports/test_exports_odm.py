"""The ODM export of a small trial entered through the API: valid ODM 1.3.2, read back by odmlib
with every form's stored values, every audited save and every signature; no allocation in it."""

from __future__ import annotations

import odmlib.loader as odm_loader
import odmlib.odm_loader as odm_xml_loader
import pytest
from exports_testkit import INVESTIGATOR, enter_trial, run_jobs_inline
from trial_factory import PASSWORD

from trialdesk.blinding import arm_revealing_texts
from trialdesk.standards.odm import ODM_NS, odm_value, validate_odm
from trialdesk.web.capture.models import FormInstance, Signature
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.jobs import job_folder
from trialdesk.web.exports.open_formats import ODM_FILE


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    codes = enter_trial(trial, participants=3)
    # signed, corrected with a reason (the signature voided), signed again
    path = f"/api/v1/participants/{codes[1]}/visits/day0/forms/vital_signs"
    investigator = trial.api(INVESTIGATOR)
    assert investigator.post(path + "/sign", {"password": PASSWORD}).status_code == 201
    changed = investigator.put(path, {"values": {"heart_rate": 92, "systolic_bp": 120,
                                                 "diastolic_bp": 70, "temperature": 37.8},
                                      "complete": True, "reason": "transcription error"})
    assert changed.status_code == 200, changed.content
    assert investigator.post(path + "/sign", {"password": PASSWORD}).status_code == 201
    return codes


def _export(trial, username: str):
    response = trial.api(username).post("/api/v1/exports", {"format": "odm"})
    assert response.status_code == 201, response.content
    job = trial.api(username).get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    assert job["files"] == [ODM_FILE]
    return job_folder(job["id"]) / ODM_FILE


def _read(path):
    loader = odm_loader.ODMLoader(odm_xml_loader.XMLODMLoader(model_package="odm_1_3_2",
                                                              ns_uri=ODM_NS))
    loader.open_odm_document(str(path))
    return loader.root()


def test_the_odm_file_validates_and_replays_to_the_stored_values(trial, entered):
    path = _export(trial, "data_manager")
    assert validate_odm(path) == []
    odm = _read(path)
    replayed: dict[tuple, dict] = {}
    saves = 0
    for subject in odm.ClinicalData[0].SubjectData:
        for event in subject.StudyEventData:
            for form in event.FormData:
                key = (subject.SubjectKey, event.StudyEventOID, form.FormOID, form.FormRepeatKey)
                values = replayed.setdefault(key, {})
                saves += form.TransactionType in ("Insert", "Update")
                for group in form.ItemGroupData:
                    for item in group.ItemData:
                        if item.TransactionType == "Remove":
                            values.pop(item.ItemOID, None)
                        else:
                            values[item.ItemOID] = item.Value
    protocol = get_protocol()
    expected = {}
    for instance in FormInstance.objects.select_related("participant"):
        form = protocol.form(instance.form)
        event = "SE.LOG" if instance.visit == "log" else f"SE.{instance.visit}"
        expected[(instance.participant.code, event, f"F.{instance.form}", str(instance.seq))] = {
            f"IT.{instance.form}.{code}": odm_value(form.field(code), value)
            for code, value in instance.values.items() if value not in (None, "")}
    assert replayed == expected
    assert saves == AuditRecord.objects.filter(model="form_instance",
                                               action="save_form").count()


def test_signatures_and_reasons_reach_the_file(trial, entered):
    odm = _read(_export(trial, "analyst"))
    forms = [form for subject in odm.ClinicalData[0].SubjectData
             if subject.SubjectKey == entered[1] for event in subject.StudyEventData
             if event.StudyEventOID == "SE.day0" for form in event.FormData
             if form.FormOID == "F.vital_signs"]
    assert [form.TransactionType for form in forms] == ["Insert", "Context", "Update", "Context"]
    assert forms[2].AuditRecord.ReasonForChange._content == "transcription error"
    assert forms[2].AuditRecord.UserRef.UserOID == f"USR.{INVESTIGATOR}"
    signatures = list(Signature.objects.order_by("pk"))
    assert [form.Signature.ID for form in (forms[1], forms[3])] == [
        f"SIG.{s.pk}" for s in signatures]
    assert "voided" in forms[1].Annotation[0].Comment._content and not forms[3].Annotation
    meanings = {d.OID: d.Meaning._content for d in odm.AdminData[0].SignatureDef}
    assert signatures[0].meaning in meanings.values()


@pytest.mark.parametrize("username", ["data_manager", "dsmb_statistician"])
def test_no_allocation_in_the_odm_file(trial, entered, username):
    text = _export(trial, username).read_text(encoding="utf-8")
    protocol = get_protocol()
    for revealing in arm_revealing_texts(protocol):
        assert revealing not in text, revealing
