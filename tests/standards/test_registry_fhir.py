"""FHIR R4 ResearchStudy from a study record."""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.researchstudy import ResearchStudy

from trialdesk.protocol import load_protocol
from trialdesk.standards.ctgov import Study, study_from_protocol
from trialdesk.standards.fhir import FhirMappingError, research_study


def test_default_trial_becomes_a_research_study_that_fhir_resources_parses() -> None:
    resource = research_study(study_from_protocol(load_protocol()))
    parsed = ResearchStudy.model_validate_json(resource.model_dump_json())
    assert parsed.identifier[0].value == "NCT04390152"
    assert parsed.status == "active"
    assert parsed.phase.coding[0].code == "phase-1-phase-2"
    assert parsed.primaryPurposeType.coding[0].code == "treatment"
    assert str(parsed.period.start) == "2020-01-13"
    assert parsed.sponsor.display == "BioXcellerator"
    assert [arm.name for arm in parsed.arm] == ["Standard therapy plus MSC",
                                                "Standard therapy alone"]
    assert {t.value for t in parsed.contact[0].telecom} == {"+5745699999",
                                                           "ahernandez@clinicasomer.com"}


@pytest.mark.parametrize(("status", "code"), [
    ("NOT_YET_RECRUITING", "approved"), ("COMPLETED", "completed"),
    ("TERMINATED", "administratively-completed"), ("WITHDRAWN", "withdrawn"),
    ("SUSPENDED", "temporarily-closed-to-accrual"),
])
def test_statuses_map_to_r4_codes(status: str, code: str) -> None:
    document = study_from_protocol(load_protocol()).model_dump(by_alias=True, exclude_none=True)
    document["protocolSection"]["statusModule"]["overallStatus"] = status
    assert research_study(Study.model_validate(document)).status == code


def test_unknown_status_and_unmappable_phases_are_refused() -> None:
    base = study_from_protocol(load_protocol()).model_dump(by_alias=True, exclude_none=True)
    unknown = copy.deepcopy(base)
    unknown["protocolSection"]["statusModule"]["overallStatus"] = "UNKNOWN"
    with pytest.raises(FhirMappingError, match="UNKNOWN"):
        research_study(Study.model_validate(unknown))
    odd = copy.deepcopy(base)
    odd["protocolSection"]["designModule"]["phases"] = ["PHASE1", "PHASE3"]
    with pytest.raises(FhirMappingError, match="PHASE3"):
        research_study(Study.model_validate(odd))
