"""A study record as a FHIR R4 ResearchStudy (fhir.resources' R4B models use R4's field names).

fhir.resources checks required elements and types but not code values, so the status, phase and
purpose codes are mapped through tables here and checked against R4's value sets before building.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fhir.resources.R4B.researchstudy import ResearchStudy

from trialdesk.standards.ctgov.facts import facts_from_study
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.provenance import FieldSource, source_of

NCT_SYSTEM = "http://clinicaltrials.gov"
CTGOV_URL = "https://clinicaltrials.gov/study/"
STATUS_SYSTEM = "http://hl7.org/fhir/research-study-status"
PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-prim-purp-type"
ARM_TYPE_SYSTEM = "https://clinicaltrials.gov/data-api/about-api/study-data-structure#armGroupType"

# R4 value sets (hl7.org/fhir/R4/valueset-research-study-status.html and -phase, -prim-purp-type).
R4_STATUSES = frozenset({
    "active", "administratively-completed", "approved", "closed-to-accrual",
    "closed-to-accrual-and-intervention", "completed", "disapproved", "in-review",
    "temporarily-closed-to-accrual", "temporarily-closed-to-accrual-and-intervention", "withdrawn",
})
R4_PHASES = frozenset({
    "n-a", "early-phase-1", "phase-1", "phase-1-phase-2", "phase-2", "phase-2-phase-3", "phase-3",
    "phase-4",
})
R4_PURPOSES = frozenset({
    "treatment", "prevention", "diagnostic", "supportive-care", "screening",
    "health-services-research", "basic-science", "device-feasibility",
})

STATUS_MAP = {
    "NOT_YET_RECRUITING": "approved",
    "RECRUITING": "active",
    "ENROLLING_BY_INVITATION": "active",
    "ACTIVE_NOT_RECRUITING": "closed-to-accrual",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "administratively-completed",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
    "AVAILABLE": "active",
    "TEMPORARILY_NOT_AVAILABLE": "temporarily-closed-to-accrual",
    "NO_LONGER_AVAILABLE": "closed-to-accrual",
    "APPROVED_FOR_MARKETING": "completed",
}
PHASE_MAP = {
    ("NA",): "n-a", ("EARLY_PHASE1",): "early-phase-1", ("PHASE1",): "phase-1",
    ("PHASE1", "PHASE2"): "phase-1-phase-2", ("PHASE2",): "phase-2",
    ("PHASE2", "PHASE3"): "phase-2-phase-3", ("PHASE3",): "phase-3", ("PHASE4",): "phase-4",
}


# Where a value comes from ("registry" or "trial-protocol"), on each element of the resource. A
# primitive element carries it on its "_element" (FHIR's extensions of primitives).
SOURCE_EXTENSION = "urn:trialdesk:fhir:StructureDefinition:value-source"
SOURCE_CODES = {"registry": "registry", "trial protocol": "trial-protocol"}
# each element -> the study record's path its value comes from
ELEMENT_PATHS = {
    "identifier": "protocolSection.identificationModule.nctId",
    "title": "protocolSection.identificationModule.briefTitle",
    "status": "protocolSection.statusModule.overallStatus",
    "phase": "protocolSection.designModule.phases",
    "primaryPurposeType": "protocolSection.designModule.designInfo",
    "keyword": "protocolSection.conditionsModule.keywords",
    "description": "protocolSection.descriptionModule.briefSummary",
    "period": "protocolSection.statusModule.startDateStruct.date",
    "sponsor": "protocolSection.sponsorCollaboratorsModule.leadSponsor",
    "contact": "protocolSection.contactsLocationsModule.centralContacts",
    "arm": "protocolSection.armsInterventionsModule",
    "site": "protocolSection.contactsLocationsModule.locations",
}
CONDITION_PATH = "protocolSection.conditionsModule.conditions"
MESH_PATH = "derivedSection.conditionBrowseModule.meshes"
PRIMITIVES = ("title", "status", "description")


def source_extension(source: str) -> dict[str, Any]:
    return {"url": SOURCE_EXTENSION, "valueCode": SOURCE_CODES[source]}


def _mark_sources(resource: dict[str, Any], sources: Sequence[FieldSource],
                  conditions: int) -> None:
    """Put each element's source extension on it (lists: on every item)."""
    for element, path in ELEMENT_PATHS.items():
        if element not in resource:
            continue
        extension = source_extension(source_of(sources, path))
        if element in PRIMITIVES:
            resource[f"_{element}"] = {"extension": [extension]}
            continue
        items = resource[element] if isinstance(resource[element], list) else [resource[element]]
        for item in items:
            item.setdefault("extension", []).append(extension)
    for index, item in enumerate(resource.get("condition", [])):
        path = CONDITION_PATH if index < conditions else MESH_PATH
        item.setdefault("extension", []).append(source_extension(source_of(sources, path)))


# A site's recruiting status in ClinicalTrials.gov's words (R4 has no element for it), on its
# ResearchStudy.site reference; the site itself is a contained Location.
SITE_STATUS_EXTENSION = "urn:trialdesk:fhir:StructureDefinition:site-recruitment-status"
CLOSED_SITES = frozenset({"COMPLETED", "TERMINATED", "WITHDRAWN"})


def _sites(study: Study) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The study's locations as contained Locations and the ResearchStudy.site references."""
    module = study.protocol_section.contacts_locations_module
    contained, sites = [], []
    for number, location in enumerate(module.locations if module else [], start=1):
        local_id = f"site-{number}"
        address = {key: value for key, value in (
            ("city", location.city), ("state", location.state), ("postalCode", location.zip),
            ("country", location.country)) if value}
        contained.append({
            "resourceType": "Location", "id": local_id,
            "status": "inactive" if location.status in CLOSED_SITES else "active",
            **({"name": location.facility} if location.facility else {}),
            **({"address": address} if address else {}),
        })
        site: dict[str, Any] = {"reference": f"#{local_id}"}
        if location.facility:
            site["display"] = location.facility
        if location.status:
            site["extension"] = [{"url": SITE_STATUS_EXTENSION, "valueCode": location.status}]
        sites.append(site)
    return contained, sites


class FhirMappingError(ValueError):
    """A registry code has no R4 counterpart (e.g. overallStatus UNKNOWN)."""


def _code(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise FhirMappingError(f"{value!r} is not an R4 {what} code")
    return value


def research_study(study: Study, sources: Sequence[FieldSource] | None = None) -> ResearchStudy:
    """Return the study as a validated R4 ResearchStudy.

    ``sources`` (from :func:`trialdesk.standards.provenance.study_sources`): each element then
    carries its source as an extension. Raise FhirMappingError when a status or phase has no R4
    code.
    """
    facts = facts_from_study(study)
    status = STATUS_MAP.get(facts.overall_status or "")
    if status is None:
        raise FhirMappingError(
            f"overallStatus {facts.overall_status!r} has no R4 ResearchStudy status"
        )
    resource: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": facts.nct_id.lower(),
        "identifier": [{"system": NCT_SYSTEM, "value": facts.nct_id}],
        "title": facts.brief_title,
        "status": _code(status, R4_STATUSES, "research-study-status"),
        "relatedArtifact": [{"type": "documentation", "url": CTGOV_URL + facts.nct_id}],
    }
    if facts.phases:
        phase = PHASE_MAP.get(tuple(facts.phases))
        if phase is None:
            raise FhirMappingError(f"phases {list(facts.phases)} have no R4 research-study-phase")
        resource["phase"] = {"coding": [{"system": PHASE_SYSTEM,
                                         "code": _code(phase, R4_PHASES, "phase")}],
                             "text": "/".join(facts.phases)}
    if facts.primary_purpose and facts.primary_purpose.lower().replace("_", "-") in R4_PURPOSES:
        code = facts.primary_purpose.lower().replace("_", "-")
        resource["primaryPurposeType"] = {"coding": [{"system": PURPOSE_SYSTEM, "code": code}]}
    if facts.conditions or facts.mesh_terms:
        resource["condition"] = [{"text": text} for text in (*facts.conditions, *facts.mesh_terms)]
    if facts.keywords:
        resource["keyword"] = [{"text": keyword} for keyword in facts.keywords]
    description = "\n\n".join(filter(None, [facts.brief_summary, facts.detailed_description]))
    if description:
        resource["description"] = description
    period = {key: value for key, value in (("start", facts.start_date),
                                            ("end", facts.completion_date)) if value}
    if period:
        resource["period"] = period
    if facts.sponsor:
        resource["sponsor"] = {"display": facts.sponsor}
    if facts.contact_name:
        telecom = [{"system": system, "value": value} for system, value in
                   (("phone", facts.contact_phone), ("email", facts.contact_email)) if value]
        resource["contact"] = [{"name": facts.contact_name, "telecom": telecom}]
    if facts.arms:
        resource["arm"] = [
            {"name": arm.label, "description": arm.description,
             **({"type": {"coding": [{"system": ARM_TYPE_SYSTEM, "code": arm.type}]}}
                if arm.type else {})}
            for arm in facts.arms
        ]
    contained, sites = _sites(study)
    if sites:
        resource["contained"], resource["site"] = contained, sites
    if sources is not None:
        _mark_sources(resource, sources, len(facts.conditions))
    return ResearchStudy.model_validate(resource)
