"""Write a protocol as a ClinicalTrials.gov API v2 study record."""

from __future__ import annotations

import json
from typing import Any

from trialdesk.protocol import Protocol
from trialdesk.protocol.design import REGISTRY_MASKED_ROLES
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.eligibility_facts import eligibility_summary

LANGUAGE = "en"  # the registry is in English; translations stay in the protocol


def intervention_label(kind: str, name: str) -> str:
    """Return how an arm names an intervention: ("DRUG", "X") -> "Drug: X"."""
    return f"{kind.replace('_', ' ').title()}: {name}"


def study_from_protocol(protocol: Protocol) -> Study:
    """Return the protocol's registry facts and design as a validated Study."""
    registry, design = protocol.registry, protocol.design
    interventions = {item.code: item for item in design.interventions}
    arm_labels = {
        code: [arm.label.text(LANGUAGE) for arm in design.arms if code in arm.interventions]
        for code in interventions
    }
    # ANALYST is ours: the registry has no code for it, so it never appears in whoMasked.
    who_masked = [role for role in design.masking.who if role in REGISTRY_MASKED_ROLES]
    criteria = protocol.eligibility
    eligibility_text = "Inclusion Criteria:\n\n" + "\n".join(
        f"* {c.text.text(LANGUAGE)}" for c in criteria.inclusion
    )
    if criteria.exclusion:
        eligibility_text += "\n\nExclusion Criteria:\n\n" + "\n".join(
            f"* {c.text.text(LANGUAGE)}" for c in criteria.exclusion
        )
    outcomes: dict[str, list[dict[str, str]]] = {"primary": [], "secondary": [], "other": []}
    for outcome in protocol.outcomes:
        outcomes[outcome.kind].append({
            "measure": outcome.measure.text(LANGUAGE),
            "description": outcome.description.text(LANGUAGE),
            "timeFrame": outcome.time_frame.text(LANGUAGE),
        })
    summary = eligibility_summary(protocol)
    eligibility: dict[str, Any] = {
        "eligibilityCriteria": eligibility_text, "healthyVolunteers": summary.healthy_volunteers,
        "sex": summary.sex, "stdAges": summary.std_ages,
    }
    if summary.minimum_age is not None:
        eligibility["minimumAge"] = f"{summary.minimum_age} Years"
    if summary.maximum_age is not None:
        eligibility["maximumAge"] = f"{summary.maximum_age} Years"
    contact = registry.contact
    document: dict[str, Any] = {
        "protocolSection": {
            "identificationModule": {
                "nctId": registry.nct_id,
                "briefTitle": registry.brief_title.text(LANGUAGE),
                "officialTitle": registry.official_title.text(LANGUAGE),
                "acronym": registry.acronym,
            },
            "statusModule": {
                "overallStatus": registry.overall_status,
                "startDateStruct": {"date": registry.start_date, "type": registry.start_date_type},
                "completionDateStruct": {
                    "date": registry.completion_date, "type": registry.completion_date_type,
                },
            },
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": registry.sponsor}},
            "descriptionModule": {
                "briefSummary": registry.brief_summary.text(LANGUAGE),
                "detailedDescription": registry.detailed_description.text(LANGUAGE),
            },
            "conditionsModule": {
                "conditions": registry.conditions, "keywords": registry.keywords,
            },
            "designModule": {
                "studyType": registry.study_type,
                "phases": registry.phases,
                "designInfo": {
                    "allocation": design.allocation,
                    "interventionModel": design.intervention_model,
                    "primaryPurpose": design.primary_purpose,
                    "maskingInfo": {
                        "masking": design.masking.level,
                        "maskingDescription": design.masking.description.text(LANGUAGE)
                        if design.masking.description else None,
                        "whoMasked": who_masked,
                    },
                },
                "enrollmentInfo": {
                    "count": design.target_enrollment, "type": design.enrollment_type,
                },
            },
            "armsInterventionsModule": {
                "armGroups": [
                    {
                        "label": arm.label.text(LANGUAGE),
                        "type": arm.type,
                        "description": arm.description.text(LANGUAGE),
                        "interventionNames": [
                            intervention_label(interventions[code].type,
                                               interventions[code].name.text(LANGUAGE))
                            for code in arm.interventions
                        ],
                    }
                    for arm in design.arms
                ],
                "interventions": [
                    {
                        "type": item.type,
                        "name": item.name.text(LANGUAGE),
                        "description": item.description.text(LANGUAGE),
                        "armGroupLabels": arm_labels[item.code],
                    }
                    for item in design.interventions
                ],
            },
            "outcomesModule": {
                "primaryOutcomes": outcomes["primary"],
                "secondaryOutcomes": outcomes["secondary"],
                "otherOutcomes": outcomes["other"],
            },
            "eligibilityModule": eligibility,
            "contactsLocationsModule": {
                "centralContacts": [{
                    "name": contact.name, "role": "CONTACT",
                    "phone": contact.phone, "email": contact.email,
                }],
                # no locations: a site is published once it is activated, with its status, by
                # the server that knows (the registry page's live figures), not by the protocol
            },
        },
        "derivedSection": {
            "conditionBrowseModule": {
                "meshes": [
                    {"id": term.mesh_id, "term": term.term} for term in registry.mesh_terms
                ],
            },
        },
        "hasResults": False,
    }
    return Study.model_validate(document)


def study_to_dict(study: Study) -> dict[str, Any]:
    """Return the study as API JSON: camelCase keys, no empty values."""
    return study.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def study_to_json(study: Study) -> str:
    """Return the study as indented API JSON text."""
    return json.dumps(study_to_dict(study), indent=2, ensure_ascii=False) + "\n"
