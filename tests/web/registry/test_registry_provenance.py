"""Every value of the trial's public record says where it comes from: the registry page, or the
trial protocol; the JSON and FHIR exports say it too (issue 24)."""

from __future__ import annotations

import pytest
from registry_provenance import main_of, record_values, unlabelled
from registry_seed_page import html_text, seeded_registry

from trialdesk.protocol import load_protocol
from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.fhir import SOURCE_EXTENSION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_registry")]
__all__ = ["seeded_registry"]  # a fixture, used through usefixtures
RECORD = "/registry/NCT04390152"


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_protocol_added_value_is_shown_without_its_label(client, language) -> None:
    html = client.get(RECORD, {"lang": language}).content.decode()
    protocol = load_protocol()
    # every value the record holds under a protocol-added path (provenance document), as shown
    values, registry_values = record_values(client, "NCT04390152", language)
    assert len(values) > 50
    shown = {form for forms in values for form in forms}
    for item in protocol.design.interventions:  # interventions, design values, the target
        assert {item.name.text(language), item.description.text(language)} <= shown
    assert {"Parallel assignment", "Randomized", "40"} <= shown if language == "en" else True
    assert "40" in shown
    mesh_terms = {term.term for term in protocol.registry.mesh_terms}
    problems = unlabelled(html, values, mesh_terms | registry_values)
    assert problems == {}, "\n".join(f"{value!r}: {why}" for value, why in problems.items())


def test_the_check_fails_for_a_protocol_value_shown_without_the_label(client) -> None:
    html = client.get(RECORD).content.decode()
    title = load_protocol().registry.brief_title.text("en")
    stripped = html.replace('data-provenance="protocol"', 'data-provenance="none"', 1)
    assert unlabelled(stripped, [title]) == {title: "shown without the trial protocol label"}
    moved = html.replace("</main>", f'<p data-provenance="registry">{title}</p></main>')
    assert unlabelled(moved, [title]) == {title: "shown without the trial protocol label"}
    # the target of the trial now's "X of 40 participants enrolled", a count with its forms
    target = ("40", "40 participants")
    assert unlabelled(html, [target]) == {}
    bare = html.replace('<div data-provenance="protocol">\n<p><strong>', '<div>\n<p><strong>', 1)
    assert bare != html
    assert unlabelled(bare, [target]) == {"40": "shown without the trial protocol label"}


def test_registry_facts_are_labelled_registry_and_enrollment_trial_protocol(client) -> None:
    text = html_text(client.get(RECORD).content.decode())
    for row in ("Study type Interventional registry", "Status Recruiting registry",
                "Phase Phase 1/Phase 2 registry", "Start date January 13, 2020 registry",
                "Completion date April 2022 registry", "Source BioXcellerator registry",
                "Start date type Actual trial protocol",
                "Completion date type Estimated trial protocol",
                "Target enrollment 40 participants trial protocol"):
        assert row in text, row
    spanish = html_text(client.get(RECORD, {"lang": "es"}).content.decode())
    assert "Inclusión prevista 40 participantes protocolo del ensayo" in spanish
    assert "Estado Reclutando registro" in spanish
    assert "Tipo de fecha de inicio Real protocolo del ensayo" in spanish
    assert "Tipo de fecha de finalización Estimada protocolo del ensayo" in spanish


def test_each_protocol_added_section_says_why_with_the_protocols_note(client) -> None:
    text = html_text(client.get(RECORD).content.decode())
    notes = {item.path: item.note for item in load_protocol().assumptions}
    assert f"Outcomes: trial protocol Why the protocol adds it {notes['outcomes']}" in text
    assert f"Eligibility: trial protocol Why the protocol adds it {notes['eligibility']}" in text
    # the primary outcome the page does not give: its note says the registry text speaks of ICU
    # mortality
    assert "28-day all-cause mortality, is our assumption" in notes["outcomes"]
    assert "mortality of ARDS patients in the ICU" in notes["outcomes"]
    spanish = html_text(client.get(RECORD, {"lang": "es"}).content.decode())
    assert "Desenlaces: protocolo del ensayo Por qué lo añade el protocolo" in spanish


def test_outcomes_and_eligibility_sections_in_english_and_spanish(client) -> None:
    english = html_text(client.get(RECORD).content.decode())
    assert ("Primary outcomes Measure Description Time frame Adverse events and serious adverse "
            "events") in english
    assert "28-day all-cause mortality Proportion of participants dead" in english
    assert "Secondary outcomes" in english and "Change in PaO2/FiO2 from day 0 to day 7" in english
    assert ("Minimum age 18 years Maximum age No limit Sexes eligible All "
            "Accepts healthy volunteers No") in english
    assert "Inclusion criteria Age 18 years or older" in english
    assert "Exclusion criteria Pregnancy or breastfeeding" in english
    spanish = html_text(client.get(RECORD, {"lang": "es"}).content.decode())
    assert "Desenlaces primarios Medida Descripción Plazo Eventos adversos" in spanish
    assert "Mortalidad por cualquier causa a 28 días" in spanish
    assert ("Edad mínima 18 años Edad máxima Sin límite Sexos elegibles Todos "
            "Acepta voluntarios sanos No") in spanish
    assert "Criterios de inclusión Edad de 18 años o más" in spanish
    assert "Criterios de exclusión Embarazo o lactancia" in spanish


def test_see_also_keeps_the_registry_order_and_similar_trials_are_apart(client) -> None:
    html = client.get(RECORD).content.decode()
    main, _ = main_of(html)
    listed = [row.get("data-nct") for row in main.iter() if row.get("data-nct")]
    assert listed == [trial.nct_id for trial in load_protocol().registry.related_trials]
    assert len(listed) == 20
    text = html_text(html)
    assert text.index("See also") < text.index("Similar trials in this registry")
    assert "Our ranking, not the registry’s" in text


def test_spanish_mesh_terms_show_their_decs_label_and_inferred_notes_are_spanish(client) -> None:
    text = html_text(client.get(RECORD, {"lang": "es"}).content.decode())
    assert "Lesión Pulmonar Aguda ( Acute Lung Injury )" in text
    assert ("Síndrome de Dificultad Respiratoria del Recién Nacido "
            "( Respiratory Distress Syndrome, Newborn )") in text
    assert "Síndrome ( Syndrome )" in text
    assert "decs.bvsalud.org" in text
    assert "inferido del título (patrón" in text and "inferred from the title" not in text


def test_json_export_validates_strictly_and_its_sources_name_the_protocol_added_fields(
        client) -> None:
    response = client.get(f"{RECORD}.json")
    Study.model_validate(response.json())  # strict v2 models: no unknown key
    assert response["Link"] == f'<{RECORD}.provenance.json>; rel="describedby"'
    sources = client.get(f"{RECORD}.provenance.json").json()
    by_path = {item["path"]: item["source"] for item in sources["fields"]}
    assert sources["protocolAdded"] == [
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
    ]  # no site activated: no locations (tests/web/registry/test_registry_sites.py)
    for path in ("protocolSection.identificationModule.nctId",
                 "protocolSection.statusModule.overallStatus",
                 "protocolSection.descriptionModule.briefSummary",
                 "derivedSection.conditionBrowseModule.meshes"):
        assert by_path[path] == "registry", path
    notes = {item["path"]: item.get("note") for item in sources["fields"]}
    assert "40 participants" in notes["protocolSection.designModule.enrollmentInfo"]


def test_fhir_export_carries_each_elements_source_as_an_extension(client) -> None:
    resource = client.get(f"{RECORD}/fhir").json()

    def source(element: dict) -> str:
        return next(e["valueCode"] for e in element["extension"] if e["url"] == SOURCE_EXTENSION)

    assert source(resource["_title"]) == "trial-protocol"
    assert source(resource["_status"]) == "registry"
    assert [source(arm) for arm in resource["arm"]] == ["trial-protocol", "trial-protocol"]
    conditions = {c["text"]: source(c) for c in resource["condition"]}
    assert conditions["COVID-19"] == "trial-protocol"
    assert conditions["Acute Lung Injury"] == "registry"
    assert source(resource["phase"]) == "registry"
