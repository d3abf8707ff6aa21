"""Where each value of the trial's study record comes from (registry or trial protocol), the
eligibility summary read from the criteria, and the DeCS Spanish labels shipped (issue 24)."""

from __future__ import annotations

import re

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.standards import inferred
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.ctgov.writer import study_from_protocol, study_to_dict
from trialdesk.standards.decs import LABELS, SOURCE, spanish_label
from trialdesk.standards.eligibility_facts import EligibilitySummary, eligibility_summary
from trialdesk.standards.provenance import (
    PROTOCOL,
    REGISTRY,
    protocol_path_source,
    provenance_document,
    source_of,
    study_sources,
)


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


@pytest.mark.parametrize(("path", "assumed", "expected"), [
    ("registry.start_date", ["registry.start_date_type"], REGISTRY),  # a prefix, not a parent
    ("registry.start_date_type", ["registry.start_date_type"], PROTOCOL),
    ("registry.contact", ["registry.contact.phone"], PROTOCOL),  # a part assumed taints it
    ("design.interventions[1]", ["design.interventions"], PROTOCOL),
    ("registry.mesh_terms", [], REGISTRY),
    ("design.allocation", [], PROTOCOL),  # outside the registry section: always the protocol's
    ("sites", [], PROTOCOL),
])
def test_a_protocol_path_is_registry_only_inside_registry_and_unassumed(path, assumed, expected):
    assert protocol_path_source(path, assumed) == expected


def test_the_protocols_record_validates_strictly_and_names_its_protocol_added_fields(protocol):
    document = study_to_dict(study_from_protocol(protocol))
    Study.model_validate(document)  # extra="forbid" at every level: no key of ours slipped in
    sources = study_sources(document, protocol)
    added = [item.path for item in sources if item.source == PROTOCOL]
    assert added == [
        "protocolSection.identificationModule.briefTitle",
        "protocolSection.identificationModule.officialTitle",
        "protocolSection.statusModule.startDateStruct.type",
        "protocolSection.statusModule.completionDateStruct.type",
        "protocolSection.conditionsModule.conditions",
        "protocolSection.conditionsModule.keywords",
        "protocolSection.designModule.designInfo",
        "protocolSection.designModule.enrollmentInfo",
        "protocolSection.armsInterventionsModule",
        "protocolSection.outcomesModule",
        "protocolSection.eligibilityModule",
    ]
    # the seed page's facts (seed/NCT04390152-registry-page.txt) stay the registry's
    for path in ("protocolSection.identificationModule.nctId",
                 "protocolSection.statusModule.overallStatus",
                 "protocolSection.statusModule.startDateStruct.date",
                 "protocolSection.statusModule.completionDateStruct.date",
                 "protocolSection.sponsorCollaboratorsModule.leadSponsor",
                 "protocolSection.descriptionModule.briefSummary",
                 "protocolSection.descriptionModule.detailedDescription",
                 "protocolSection.designModule.studyType", "protocolSection.designModule.phases",
                 "protocolSection.contactsLocationsModule.centralContacts",
                 "derivedSection.conditionBrowseModule.meshes"):
        assert source_of(sources, path) == REGISTRY, path
    assert source_of(sources, "protocolSection.outcomesModule.primaryOutcomes") == PROTOCOL
    notes = {item.path: item.note for item in sources}
    assert "assumed" in notes["protocolSection.armsInterventionsModule"]
    document_out = provenance_document(protocol.registry.nct_id, sources)
    assert document_out["protocolAdded"] == added


def test_the_record_publishes_no_site_and_an_imported_record_is_all_registry(protocol):
    document = study_to_dict(study_from_protocol(protocol))
    assert "locations" not in document["protocolSection"]["contactsLocationsModule"]
    assert {item.source for item in study_sources(document, None)} == {REGISTRY}


def test_published_locations_are_the_protocols_with_its_sites_note(protocol):
    """The server adds activated sites as locations when it serves the record (web/registry/
    published.py): they are the protocol's sites, never the registry's."""
    document = study_to_dict(study_from_protocol(protocol))
    document["protocolSection"]["contactsLocationsModule"]["locations"] = [
        {"facility": "Clínica SOMER", "status": "RECRUITING", "city": "Rionegro",
         "country": "Colombia"}]
    Study.model_validate(document)
    path = "protocolSection.contactsLocationsModule.locations"
    found = {item.path: item for item in study_sources(document, protocol)}[path]
    assert (found.source, found.protocol_path) == (PROTOCOL, "sites")
    assert found.note.startswith("Three Colombian ICU sites")
    assert path in provenance_document("NCT04390152", [found])["protocolAdded"]


def test_the_eligibility_summary_comes_from_the_criteria(protocol):
    summary = eligibility_summary(protocol)
    assert summary == EligibilitySummary(18, None, "ALL", healthy_volunteers=False)
    assert summary.std_ages == ["ADULT", "OLDER_ADULT"]
    module = study_to_dict(study_from_protocol(protocol))["protocolSection"]["eligibilityModule"]
    assert (module["minimumAge"], module["sex"], module["healthyVolunteers"]) == (
        "18 Years", "ALL", False)
    assert "maximumAge" not in module


def test_an_age_range_and_a_sex_rule_give_the_summary(protocol):
    inclusion = [*protocol.eligibility.inclusion,
                 protocol.eligibility.inclusion[0].model_copy(update={"rule": "age < 65"}),
                 protocol.eligibility.inclusion[0].model_copy(update={"rule": "sex == 'female'"})]
    changed = protocol.model_copy(update={"eligibility": protocol.eligibility.model_copy(
        update={"inclusion": inclusion})})
    summary = eligibility_summary(changed)
    assert (summary.minimum_age, summary.maximum_age, summary.sex) == (18, 64, "FEMALE")
    assert summary.std_ages == ["ADULT"]


def test_decs_labels_cover_the_registry_terms_and_every_inferred_term(protocol):
    assert SOURCE.startswith("DeCS") and "decs.bvsalud.org" in SOURCE
    for term in protocol.registry.mesh_terms:
        assert spanish_label(term.term), term.term
    for rule in inferred._RULES:
        for term in (*rule.mesh, *rule.ancestors):
            assert spanish_label(term), term
    assert spanish_label("Syndrome") == "Síndrome"
    assert spanish_label("respiratory  distress syndrome, newborn") == (
        "Síndrome de Dificultad Respiratoria del Recién Nacido")
    assert spanish_label("Mechanical ventilation") is None  # not shipped: English only
    assert all(re.search(r"[a-záéíóúñ]", label.spanish, re.I) for label in LABELS.values())
