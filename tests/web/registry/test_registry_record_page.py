"""The public record page of NCT04390152 and its JSON and FHIR forms."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from fhir.resources.R4B.researchstudy import ResearchStudy
from registry_seed_page import html_text, seed_facts, seeded_registry, tight

from trialdesk.protocol import load_protocol
from trialdesk.standards.ctgov import study_from_protocol
from trialdesk.standards.ctgov.writer import study_to_dict

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_registry")]
__all__ = ["seeded_registry"]  # a fixture, used through usefixtures
RECORD = "/registry/NCT04390152"


def test_record_page_shows_every_fact_of_the_seed_page(client, test_data) -> None:
    response = client.get(RECORD)
    assert response.status_code == 200
    text = html_text(response.content.decode())
    missing = [fact for fact in seed_facts(test_data).expected_texts() if fact not in text]
    assert missing == []


def test_record_page_fills_the_study_design_the_seed_page_leaves_empty(client) -> None:
    text = tight(html_text(client.get(RECORD).content.decode()))  # each masked role an element
    for expected in (
        "Allocation Randomized", "Intervention model Parallel assignment",
        "Masking Quadruple (Participant, Care provider, Investigator, Outcomes assessor)",
        "Primary purpose Treatment", "Enrollment 40 participants",
        "Standard therapy plus MSC Experimental",
        "Standard therapy alone Placebo comparator",
        "Biological: Mesenchymal stem cells (intravenous)",
    ):
        assert expected in text


def test_every_related_trial_shows_why_and_inferred_terms_say_so(client) -> None:
    text = html_text(client.get(RECORD).content.decode())
    assert "MeSH term: Respiratory Distress Syndrome (inferred)" in text
    assert "listed as related on the registry page" in text
    assert "Inferred by trialdesk (not registry data)" in text


def test_record_json_is_the_clinicaltrials_gov_study_of_the_protocol(client) -> None:
    response = client.get(f"{RECORD}.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == study_to_dict(study_from_protocol(load_protocol()))


def test_record_fhir_is_an_r4_research_study(client) -> None:
    response = client.get(f"{RECORD}/fhir")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    study = ResearchStudy.model_validate_json(response.content)
    assert study.identifier[0].value == "NCT04390152"
    assert study.phase.coding[0].code == "phase-1-phase-2"


def test_a_related_trial_has_its_own_record_with_only_the_page_facts(client) -> None:
    response = client.get("/registry/NCT04909879.json")
    assert response.json() == {"protocolSection": {
        "identificationModule": {
            "nctId": "NCT04909879",
            "briefTitle": "Study of Allogeneic Adipose-Derived Mesenchymal Stem Cells for "
                          "Non-COVID-19 Acute Respiratory Distress Syndrome"},
        "statusModule": {"overallStatus": "WITHDRAWN"},
        "designModule": {"phases": ["PHASE2"]},
    }}
    assert client.get("/registry/NCT04909879/fhir").json()["status"] == "withdrawn"


@pytest.mark.parametrize("path", ["/registry/NCT00000000", "/registry/NCT00000000.json",
                                  "/registry/NCT00000000/fhir", "/registry/NCT123"])
def test_unknown_or_malformed_nct_numbers_are_404(client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_pages_are_public_and_accessible_without_javascript(client) -> None:
    html = client.get(RECORD).content.decode()
    assert '<html lang="en">' in html
    assert "<script" not in html
    for landmark in ("<header", "<nav", '<main id="content">', "<footer"):
        assert landmark in html
    assert html.count("<h1") == 1
    assert '<th scope="row">NCT number</th>' in html
    assert 'media="print"' in html and "registry/print.css" in html
    assert finders.find("registry/print.css") is not None
    search = client.get("/registry").content.decode()
    assert '<label for="id_q">Search words</label>' in search
    assert 'role="search"' in search


def test_registry_pages_only_answer_reads(client) -> None:
    assert client.post(RECORD).status_code == 405


def test_a_status_without_an_r4_code_is_422_on_the_fhir_endpoint(client) -> None:
    from registry_testdata import make_study

    from trialdesk.standards.ctgov import Study as CtgovStudy
    from trialdesk.web.registry.store import Incoming, store_studies

    document = make_study("NCT90000099", "Status Unknown", status="UNKNOWN")
    store_studies([Incoming(CtgovStudy.model_validate(document), "test")])
    response = client.get("/registry/NCT90000099/fhir")
    assert response.status_code == 422
    assert "UNKNOWN" in response.json()["error"]
    assert client.get("/registry/NCT90000099").status_code == 200
