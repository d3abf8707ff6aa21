"""The facts a registry record states, flat, whether they come from a study record or a protocol.

Round trips compare these: protocol -> study JSON -> import must give back the protocol's facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialdesk.protocol import Protocol
from trialdesk.protocol.design import REGISTRY_MASKED_ROLES
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.ctgov.writer import LANGUAGE, intervention_label


@dataclass(frozen=True)
class ArmFacts:
    label: str
    type: str | None
    description: str | None
    interventions: tuple[str, ...]


@dataclass(frozen=True)
class InterventionFacts:
    type: str
    name: str
    description: str | None


@dataclass(frozen=True)
class StudyFacts:
    nct_id: str
    brief_title: str
    official_title: str | None = None
    brief_summary: str | None = None
    detailed_description: str | None = None
    study_type: str | None = None
    phases: tuple[str, ...] = ()
    overall_status: str | None = None
    start_date: str | None = None
    completion_date: str | None = None
    sponsor: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    conditions: tuple[str, ...] = ()
    mesh_terms: tuple[str, ...] = ()
    mesh_ancestors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    allocation: str | None = None
    intervention_model: str | None = None
    primary_purpose: str | None = None
    masking: str | None = None
    who_masked: tuple[str, ...] = ()
    enrollment: int | None = None
    arms: tuple[ArmFacts, ...] = ()
    interventions: tuple[InterventionFacts, ...] = field(default=())


def facts_from_study(study: Study) -> StudyFacts:
    """Return the facts a study record states."""
    section = study.protocol_section
    status = section.status_module
    description = section.description_module
    conditions = section.conditions_module
    design = section.design_module
    info = design.design_info if design else None
    masking = info.masking_info if info else None
    arms = section.arms_interventions_module
    contacts = section.contacts_locations_module
    contact = contacts.central_contacts[0] if contacts and contacts.central_contacts else None
    sponsors = section.sponsor_collaborators_module
    browse = study.derived_section.condition_browse_module if study.derived_section else None
    return StudyFacts(
        nct_id=section.identification_module.nct_id,
        brief_title=section.identification_module.brief_title,
        official_title=section.identification_module.official_title,
        brief_summary=description.brief_summary if description else None,
        detailed_description=description.detailed_description if description else None,
        study_type=design.study_type if design else None,
        phases=tuple(design.phases) if design else (),
        overall_status=status.overall_status,
        start_date=status.start_date_struct.date if status.start_date_struct else None,
        completion_date=(
            status.completion_date_struct.date if status.completion_date_struct else None
        ),
        sponsor=sponsors.lead_sponsor.name if sponsors else None,
        contact_name=contact.name if contact else None,
        contact_phone=contact.phone if contact else None,
        contact_email=contact.email if contact else None,
        conditions=tuple(conditions.conditions) if conditions else (),
        mesh_terms=tuple(mesh.term for mesh in browse.meshes) if browse else (),
        mesh_ancestors=tuple(mesh.term for mesh in browse.ancestors) if browse else (),
        keywords=tuple(conditions.keywords) if conditions else (),
        allocation=info.allocation if info else None,
        intervention_model=info.intervention_model if info else None,
        primary_purpose=info.primary_purpose if info else None,
        masking=masking.masking if masking else None,
        who_masked=tuple(masking.who_masked) if masking else (),
        enrollment=design.enrollment_info.count if design and design.enrollment_info else None,
        arms=tuple(
            ArmFacts(arm.label, arm.type, arm.description, tuple(arm.intervention_names))
            for arm in (arms.arm_groups if arms else [])
        ),
        interventions=tuple(
            InterventionFacts(item.type, item.name, item.description)
            for item in (arms.interventions if arms else [])
        ),
    )


def facts_from_protocol(protocol: Protocol) -> StudyFacts:
    """Return the facts the protocol gives the registry, read from the protocol itself."""
    registry, design = protocol.registry, protocol.design
    by_code = {item.code: item for item in design.interventions}
    return StudyFacts(
        nct_id=registry.nct_id,
        brief_title=registry.brief_title.text(LANGUAGE),
        official_title=registry.official_title.text(LANGUAGE),
        brief_summary=registry.brief_summary.text(LANGUAGE),
        detailed_description=registry.detailed_description.text(LANGUAGE),
        study_type=registry.study_type,
        phases=tuple(registry.phases),
        overall_status=registry.overall_status,
        start_date=registry.start_date,
        completion_date=registry.completion_date,
        sponsor=registry.sponsor,
        contact_name=registry.contact.name,
        contact_phone=registry.contact.phone,
        contact_email=registry.contact.email,
        conditions=tuple(registry.conditions),
        mesh_terms=tuple(term.term for term in registry.mesh_terms),
        keywords=tuple(registry.keywords),
        allocation=design.allocation,
        intervention_model=design.intervention_model,
        primary_purpose=design.primary_purpose,
        masking=design.masking.level,
        who_masked=tuple(r for r in design.masking.who if r in REGISTRY_MASKED_ROLES),
        enrollment=design.target_enrollment,
        arms=tuple(
            ArmFacts(
                arm.label.text(LANGUAGE), arm.type, arm.description.text(LANGUAGE),
                tuple(intervention_label(by_code[c].type, by_code[c].name.text(LANGUAGE))
                      for c in arm.interventions),
            )
            for arm in design.arms
        ),
        interventions=tuple(
            InterventionFacts(item.type, item.name.text(LANGUAGE), item.description.text(LANGUAGE))
            for item in design.interventions
        ),
    )
