"""The trial as a FHIR R4 Bundle: the ResearchStudy, and per participant a Patient (the
pseudonymous participant code only), a ResearchSubject and the Consent in force.

fhir.resources 8 builds R5 by default; this uses its ``R4B`` subpackage (FHIR 4.3, the only R4
line it ships: ResearchStudy, ResearchSubject, Consent and Patient keep R4's elements there).
Each resource is validated by its model, then the bundle is written entry by entry (bounded
memory): one subject's resources at a time.

Blinding: ``ResearchSubject.assignedArm`` is filled only from the allocation the caller gives.
With no allocation it is absent; with the dummy allocation it says so in its text and in a
``meta.tag`` (``allocation: dummy``), so no reader takes it for the trial's arm; after the final
unblinding it is the arm's name as ``ResearchStudy.arm.name`` spells it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import IO, Any

from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.researchsubject import ResearchSubject

from trialdesk.standards.ctgov.writer import study_from_protocol
from trialdesk.standards.export_data import (
    SubjectRecord,
    TrialExport,
    check_allocation,
)
from trialdesk.standards.fhir import research_study

PARTICIPANT_SYSTEM = "urn:trialdesk:participant"
ALLOCATION_TAG_SYSTEM = "urn:trialdesk:allocation"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY_SYSTEM = "http://loinc.org"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
_NAMESPACE = uuid.UUID("0f6b8f43-6f1e-4a3c-9b83-2f1d3ad1c0a5")


def _url(kind: str, key: str) -> str:
    """A stable ``urn:uuid`` for a resource (the same participant gets the same one each time)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def _entry(url: str, resource: Any) -> dict[str, Any]:
    return {"fullUrl": url, "resource": json.loads(resource.model_dump_json())}


def _consent(subject: SubjectRecord, patient_url: str) -> Consent | None:
    consent = subject.consent
    if consent is None:
        return None
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "status": "inactive" if consent.withdrawn_at is not None else "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "research"}]},
        "category": [{"coding": [{"system": CONSENT_CATEGORY_SYSTEM, "code": "59284-0",
                                  "display": "Patient Consent"}]}],
        "patient": {"reference": patient_url},
        "dateTime": consent.consented_at.isoformat(),
        "policyRule": {"coding": [{"system": ACT_CODE_SYSTEM, "code": "OPTIN"}],
                       "text": f"consent document version {consent.document_version}"},
    }
    if consent.signer == "representative":
        resource["performer"] = [{"display": "legally authorized representative"}]
        resource["verification"] = [{"verified": True,
                                     "verificationDate": consent.consented_at.isoformat()}]
    else:
        resource["performer"] = [{"reference": patient_url}]
    return Consent.model_validate(resource)


def subject_resources(export: TrialExport, subject: SubjectRecord,
                      study_url: str) -> list[dict[str, Any]]:
    """The bundle entries of one participant: Patient, Consent (when recorded), ResearchSubject."""
    check_allocation(export.allocation, subject.arm, subject.code)
    patient_url = _url("Patient", subject.code)
    patient = Patient.model_validate({
        "resourceType": "Patient",
        "identifier": [{"system": PARTICIPANT_SYSTEM, "value": subject.code}],
    })
    entries = [_entry(patient_url, patient)]
    resource: dict[str, Any] = {
        "resourceType": "ResearchSubject",
        "identifier": [{"system": PARTICIPANT_SYSTEM, "value": subject.code}],
        "status": subject.status,
        "study": {"reference": study_url},
        "individual": {"reference": patient_url},
    }
    if subject.enrolled_on is not None:
        resource["period"] = {"start": subject.enrolled_on.isoformat()}
    consent = _consent(subject, patient_url)
    if consent is not None:
        consent_url = _url("Consent", subject.code)
        entries.append(_entry(consent_url, consent))
        resource["consent"] = {"reference": consent_url}
    arm = subject.arm
    if arm is not None:
        resource["assignedArm"] = arm.display
        resource["meta"] = {"tag": [{"system": ALLOCATION_TAG_SYSTEM,
                                     "code": "dummy" if arm.dummy else "real"}]}
    entries.append(_entry(_url("ResearchSubject", subject.code),
                          ResearchSubject.model_validate(resource)))
    return entries


def write_fhir_bundle(export: TrialExport, out: IO[str], *,
                      on_subject: Callable[[SubjectRecord], None] | None = None) -> int:
    """Write the Bundle (type ``collection``) as JSON to ``out``; return the number of subjects."""
    protocol = export.protocol
    study = research_study(study_from_protocol(protocol))
    study_url = _url("ResearchStudy", protocol.registry.nct_id)
    header = {"resourceType": "Bundle", "id": f"{protocol.registry.nct_id.lower()}-export",
              "type": "collection", "timestamp": export.created_at.isoformat()}
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "entry": [\n')
    out.write(json.dumps(_entry(study_url, study), ensure_ascii=False))
    count = 0
    for subject in export.subjects:
        for entry in subject_resources(export, subject, study_url):
            out.write(",\n" + json.dumps(entry, ensure_ascii=False))
        count += 1
        if on_subject is not None:
            on_subject(subject)
    out.write("\n]}\n")
    return count
