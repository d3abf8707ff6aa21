"""ODM 1.3.2 export: valid against CDISC's schema, read back by another ODM reader (odmlib) with
the same metadata, values, audit records and signatures."""

from __future__ import annotations

import io
from pathlib import Path

import odmlib.loader as odm_loader
import odmlib.odm_loader as odm_xml_loader
import pytest
from standards_export_sample import MEANING, T0, sample_export

from trialdesk.standards.export_data import FormChange, FormRecord, SubjectRecord
from trialdesk.standards.odm import ODM_NS, UnknownForm, odm_value, validate_odm, write_odm


def _write(tmp_path: Path, allocation: str = "none") -> Path:
    path = tmp_path / "trial.odm.xml"
    with path.open("wb") as out:
        write_odm(sample_export(allocation), out, signature_meanings=[MEANING])
    return path


def _read(path: Path):
    loader = odm_loader.ODMLoader(odm_xml_loader.XMLODMLoader(model_package="odm_1_3_2",
                                                              ns_uri=ODM_NS))
    loader.open_odm_document(str(path))
    return loader.root()


def _replay(odm) -> dict[tuple[str, str, str, str], dict[str, str]]:
    """Apply the transactions in file order, as a receiving EDC does (ODM 1.3.2 section 2.9)."""
    forms: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for subject in odm.ClinicalData[0].SubjectData:
        for event in subject.StudyEventData:
            for form in event.FormData:
                key = (subject.SubjectKey, event.StudyEventOID, form.FormOID, form.FormRepeatKey)
                values = forms.setdefault(key, {})
                for group in form.ItemGroupData:
                    for item in group.ItemData:
                        if item.TransactionType == "Remove":
                            values.pop(item.ItemOID, None)
                        else:
                            values[item.ItemOID] = item.Value
    return forms


def test_the_file_is_valid_odm_1_3_2(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert validate_odm(path) == []
    head = path.read_text(encoding="utf-8")[:400]
    assert 'ODMVersion="1.3.2"' in head and 'FileType="Transactional"' in head


def test_the_schema_check_catches_an_invalid_file(tmp_path: Path) -> None:
    path = _write(tmp_path)
    broken = tmp_path / "broken.xml"
    broken.write_text(path.read_text(encoding="utf-8").replace(
        'SoftHard="Hard"', 'SoftHard="Maybe"', 1), encoding="utf-8")
    problems = validate_odm(broken)
    assert problems
    assert "Maybe" in " ".join(problems) or "SoftHard" in " ".join(problems)


def test_metadata_read_back_matches_the_protocol(tmp_path: Path) -> None:
    export = sample_export()
    protocol = export.protocol
    odm = _read(_write(tmp_path))
    version = odm.Study[0].MetaDataVersion[0]
    assert [ref.StudyEventOID for ref in version.Protocol.StudyEventRef] == [
        *(f"SE.{visit.code}" for visit in sorted(protocol.visits, key=lambda v: v.day)),
        "SE.LOG"]
    assert {form.OID for form in version.FormDef} == {f"F.{f.code}" for f in protocol.forms}
    items = {item.OID: item for item in version.ItemDef}
    assert len(items) == sum(len(form.fields) for form in protocol.forms)
    age = items["IT.demographics.age"]
    assert age.DataType == "integer"
    assert {t.lang: t._content for t in age.Question.TranslatedText} == {"en": "Age", "es": "Edad"}
    checks = {(check.SoftHard, check.Comparator, check.CheckValue[0]._content)
              for check in age.RangeCheck}
    assert checks == {("Hard", "GE", "0"), ("Hard", "LE", "120"), ("Soft", "GE", "18"),
                      ("Soft", "LE", "95")}
    assert items["IT.cytokines.il6"].DataType == "text"  # "<1.5" is a value
    sex = next(cl for cl in version.CodeList if cl.OID == "CL.demographics.sex")
    assert [item.CodedValue for item in sex.CodeListItem] == ["F", "M"]
    derived = {ref.ItemOID: ref.MethodOID for group in version.ItemGroupDef
               for ref in group.ItemRef if ref.MethodOID}
    assert derived["IT.respiratory.pao2_fio2"] == "MT.respiratory.pao2_fio2"
    assert {method.OID for method in version.MethodDef} == set(derived.values())


def test_clinical_data_replayed_gives_the_stored_values(tmp_path: Path) -> None:
    export = sample_export()
    protocol = export.protocol
    odm = _read(_write(tmp_path))
    replayed = _replay(odm)
    expected = {}
    for subject in sample_export().subjects:
        for record in subject.forms:
            form = protocol.form(record.form)
            event = "SE.LOG" if record.visit == "log" else f"SE.{record.visit}"
            expected[(subject.code, event, f"F.{record.form}", str(record.seq))] = {
                f"IT.{record.form}.{code}": odm_value(form.field(code), value)
                for code, value in record.values.items()}
    assert replayed == expected
    # spot values written by hand, as another EDC shows them
    first = replayed[("CO-01-001", "SE.day0", "F.cytokines", "1")]
    assert first["IT.cytokines.il6"] == "<1.5" and "IT.cytokines.tnf_alpha" not in first
    assert replayed[("CO-01-001", "SE.LOG", "F.adverse_event", "2")][
        "IT.adverse_event.ae_serious"] == "0"
    assert replayed[("CO-02-001", "SE.day1", "F.infusion", "1")][
        "IT.infusion.infusion_reaction"] == "1"


def test_audit_records_and_signatures_read_back(tmp_path: Path) -> None:
    odm = _read(_write(tmp_path))
    admin = odm.AdminData[0]
    assert {user.OID for user in admin.User} >= {"USR.inv_co01", "USR.pi_co01", "USR.dm"}
    assert [definition.Meaning._content for definition in admin.SignatureDef] == [MEANING]
    subject = odm.ClinicalData[0].SubjectData[0]
    demographics = [form for event in subject.StudyEventData for form in event.FormData
                    if form.FormOID == "F.demographics"]
    # saved, signed, corrected (voiding the signature), signed again: in the order it happened
    assert [form.TransactionType for form in demographics] == [
        "Insert", "Context", "Update", "Context"]
    correction = demographics[2]
    assert correction.AuditRecord.ReasonForChange._content == "age misread from the chart"
    assert correction.AuditRecord.SourceID._content == "audit:15"
    age = next(item for item in correction.ItemGroupData[0].ItemData
               if item.ItemOID == "IT.demographics.age")
    assert (age.TransactionType, age.Value) == ("Update", "54")
    assert age.AuditRecord.UserRef.UserOID == "USR.inv_co01"
    assert age.AuditRecord.LocationRef.LocationOID == "LOC.CO-01"
    assert age.AuditRecord.DateTimeStamp._content == "2020-02-03T12:00:00Z"
    voided, kept = demographics[1], demographics[3]
    assert voided.Signature.ID == "SIG.1" and "voided" in voided.Annotation[0].Comment._content
    assert kept.Signature.UserRef.UserOID == "USR.pi_co01" and not kept.Annotation


@pytest.mark.parametrize("allocation", ["none", "dummy", "real"])
def test_no_allocation_in_odm_whatever_is_given(tmp_path: Path, allocation: str) -> None:
    text = _write(tmp_path, allocation).read_text(encoding="utf-8")
    for word in ("msc", "standard", "Standard therapy", "ARM"):
        assert f'"{word}' not in text and f">{word}" not in text


def test_the_writer_streams_subject_by_subject() -> None:
    export = sample_export()
    seen: list[int] = []
    buffer = io.BytesIO()

    def subjects():
        for subject in sample_export().subjects:
            seen.append(buffer.tell())
            yield subject

    export.subjects = subjects()
    assert write_odm(export, buffer, signature_meanings=[MEANING]) == 2
    # the second subject was asked for after the first had been written
    assert seen[1] > seen[0] > 0


def test_values_without_an_audited_change_are_still_written(tmp_path: Path) -> None:
    """A form whose stored values no audit record accounts for (data from before field-level
    auditing) ends with one system transaction, so the replay still gives what is stored."""
    export = sample_export()
    subject = next(iter(export.subjects))
    legacy = FormRecord("day3", "vital_signs", 1, "complete", {"heart_rate": 101, "spo2": 93})
    partly = FormRecord("day7", "vital_signs", 1, "complete", {"heart_rate": 88},
                        changes=[FormChange(90, T0, "inv_co01", "", {"heart_rate": (None, 80),
                                                                     "spo2": (None, 95)})])
    export.subjects = [SubjectRecord(subject.code, subject.site, subject.enrolled_on,
                                     [legacy, partly])]
    path = tmp_path / "legacy.xml"
    with path.open("wb") as out:
        write_odm(export, out)
    assert validate_odm(path) == []
    replayed = _replay(_read(path))
    assert replayed[("CO-01-001", "SE.day3", "F.vital_signs", "1")] == {
        "IT.vital_signs.heart_rate": "101", "IT.vital_signs.spo2": "93"}
    assert replayed[("CO-01-001", "SE.day7", "F.vital_signs", "1")] == {
        "IT.vital_signs.heart_rate": "88"}
    text = path.read_text(encoding="utf-8")
    assert text.count('FormRepeatKey="1" TransactionType="Upsert"') == 2  # one per form
    assert "USR.system" in text


def test_a_form_the_protocol_does_not_define_stops_the_export() -> None:
    export = sample_export()
    subject = next(iter(export.subjects))
    export.subjects = [SubjectRecord(subject.code, subject.site, subject.enrolled_on,
                                     [FormRecord("day0", "retired_form", 1, "complete", {"x": 1})])]
    with pytest.raises(UnknownForm, match="retired_form"):
        write_odm(export, io.BytesIO())
