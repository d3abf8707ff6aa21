"""The FHIR export of a small trial: an R4 Bundle (fhir.resources' R4B models) that parses back,
one ResearchSubject per participant with its consent, assignedArm only as the allocation given."""

from __future__ import annotations

import pytest
from exports_testkit import download, enter_trial, run_jobs_inline
from fhir.resources.R4B.bundle import Bundle

from trialdesk.blinding import arm_revealing_texts
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.open_formats import FHIR_FILE
from trialdesk.web.trials.models import Participant, Randomization


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_trial(trial, participants=3)


def _bundle(trial, username: str, **body: str) -> tuple[Bundle, str]:
    response = trial.api(username).post("/api/v1/exports", {"format": "fhir", **body})
    assert response.status_code == 201, response.content
    job = trial.api(username).get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["state"] == "done", job
    text = download(trial.api(username), job["id"])[FHIR_FILE].decode("utf-8")
    return Bundle.model_validate_json(text), text


def _subjects(bundle: Bundle) -> dict[str, object]:
    return {entry.resource.identifier[0].value: entry.resource for entry in bundle.entry
            if entry.resource.get_resource_type() == "ResearchSubject"}


def test_the_bundle_parses_with_a_subject_and_consent_per_participant(trial, entered):
    bundle, _ = _bundle(trial, "data_manager")
    subjects = _subjects(bundle)
    assert set(subjects) == set(Participant.objects.values_list("code", flat=True))
    urls = {entry.fullUrl for entry in bundle.entry}
    for code in entered:
        subject = subjects[code]
        assert subject.status == "on-study"
        assert subject.consent.reference in urls and subject.individual.reference in urls
        randomized = Randomization.objects.get(participant__code=code).randomized_at.date()
        assert subject.period.start == randomized


def test_a_blinded_role_gets_only_the_labelled_dummy_arm(trial, entered):
    bundle, _ = _bundle(trial, "analyst")
    for subject in _subjects(bundle).values():
        assert "DUMMY" in subject.assignedArm and subject.meta.tag[0].code == "dummy"
    # the ResearchStudy lists the arms, as the public registry does; no subject names one
    subjects_text = "".join(s.model_dump_json() for s in _subjects(bundle).values())
    for revealing in arm_revealing_texts(get_protocol()):
        assert revealing not in subjects_text, revealing


def test_the_dsmb_statistician_gets_the_real_arm_and_none_means_none(trial, entered):
    bundle, _ = _bundle(trial, "dsmb_statistician")
    labels = {arm.code: arm.label.text("en") for arm in get_protocol().design.arms}
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    assert {code: s.assignedArm for code, s in _subjects(bundle).items()} == {
        code: labels[arm] for code, arm in arms.items()}
    bundle, _ = _bundle(trial, "analyst", allocation="none")
    assert all(s.assignedArm is None for s in _subjects(bundle).values())
