"""FHIR R4 (fhir.resources' R4B models) Bundle: parsed back whole, references resolve, the arm only
as the allocation given (none: absent; dummy: labelled; real: the ResearchStudy's arm name)."""

from __future__ import annotations

import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from standards_export_sample import ARMS, sample_export

from trialdesk.standards.export_data import DUMMY_LABEL, ArmAssignment, SubjectRecord
from trialdesk.standards.fhir_bundle import write_fhir_bundle


def _bundle(allocation: str = "none") -> Bundle:
    buffer = io.StringIO()
    assert write_fhir_bundle(sample_export(allocation), buffer) == 2
    return Bundle.model_validate_json(buffer.getvalue())


def _by_type(bundle: Bundle, kind: str) -> list:
    return [entry.resource for entry in bundle.entry if entry.resource.get_resource_type() == kind]


def test_the_bundle_parses_and_its_references_resolve() -> None:
    bundle = _bundle()
    assert bundle.type == "collection"
    urls = {entry.fullUrl for entry in bundle.entry}
    assert len(urls) == len(bundle.entry)
    [study] = _by_type(bundle, "ResearchStudy")
    assert study.identifier[0].value == "NCT04390152"
    subjects = _by_type(bundle, "ResearchSubject")
    assert [s.identifier[0].value for s in subjects] == ["CO-01-001", "CO-02-001"]
    for subject in subjects:
        assert subject.study.reference in urls and subject.individual.reference in urls
        assert subject.consent.reference in urls
        assert subject.status == "on-study"
    assert subjects[0].period.start.isoformat() == "2020-02-03"


def test_patients_carry_the_participant_code_only() -> None:
    for patient in _by_type(_bundle(), "Patient"):
        fields = set(json.loads(patient.model_dump_json())) - {"resourceType"}
        assert fields == {"identifier"}


def test_consent_says_who_signed() -> None:
    first, second = _by_type(_bundle(), "Consent")
    assert first.status == "active" and first.scope.coding[0].code == "research"
    assert first.performer[0].display == "legally authorized representative"
    assert second.performer[0].reference == second.patient.reference
    assert "2.0" in first.policyRule.text


def test_no_arm_without_allocation() -> None:
    bundle = _bundle("none")
    for subject in _by_type(bundle, "ResearchSubject"):
        assert subject.assignedArm is None and subject.actualArm is None and subject.meta is None


def test_a_dummy_arm_is_labelled_and_never_the_real_one() -> None:
    bundle = _bundle("dummy")
    study = _by_type(bundle, "ResearchStudy")[0]
    names = {arm.name for arm in study.arm}
    labels = {arm.code: arm.label.text("en") for arm in sample_export().protocol.design.arms}
    for subject in _by_type(bundle, "ResearchSubject"):
        assert subject.assignedArm.startswith(DUMMY_LABEL)
        assert subject.assignedArm not in names  # never read as one of the study's arms
        assert subject.meta.tag[0].code == "dummy"
        real = labels[ARMS[subject.identifier[0].value]]
        assert not subject.assignedArm.endswith(real)


def test_the_real_arm_after_unblinding_names_the_studys_arm() -> None:
    bundle = _bundle("real")
    names = {arm.name for arm in _by_type(bundle, "ResearchStudy")[0].arm}
    labels = {arm.code: arm.label.text("en") for arm in sample_export().protocol.design.arms}
    for subject in _by_type(bundle, "ResearchSubject"):
        assert subject.assignedArm in names
        assert subject.assignedArm == labels[ARMS[subject.identifier[0].value]]
        assert subject.meta.tag[0].code == "real"


def test_an_arm_in_an_export_without_allocation_is_refused() -> None:
    export = sample_export("none")
    subject = next(iter(export.subjects))
    export.subjects = [SubjectRecord(subject.code, subject.site, subject.enrolled_on,
                                     subject.forms, arm=ArmAssignment("msc", "MSC", False))]
    with pytest.raises(ValueError, match="without allocation"):
        write_fhir_bundle(export, io.StringIO())
