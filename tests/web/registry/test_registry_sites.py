"""The public record lists a site only once activated, with its real status (issue 24)."""

from __future__ import annotations

import pytest
from registry_seed_page import html_text, seeded_registry

from trialdesk.standards.ctgov.models import Study
from trialdesk.standards.fhir import SITE_STATUS_EXTENSION, SOURCE_EXTENSION
from trialdesk.web.registry.live import SiteStatus
from trialdesk.web.registry.published import location_status

__all__ = ["seeded_registry"]  # a fixture, used through usefixtures
REASON = "Site initiation visit done; ethics approval on file."
RECORD = "/registry/NCT04390152"


def _status(trial, code: str, body: dict) -> None:
    trial.api("admin").ok("POST", f"/api/v1/sites/{code}/status", body)


@pytest.mark.usefixtures("seeded_registry")
def test_the_registry_page_lists_only_activated_sites_with_their_real_status(trial, client):
    assert "No site has been activated yet" in html_text(client.get(RECORD).content.decode())
    _status(trial, "CO-01", {"status": "active", "reason": REASON, "activated_on": "2020-01-13"})
    _status(trial, "CO-03", {"status": "active", "reason": REASON,
                            "activated_on": "2020-03-02"})
    _status(trial, "CO-03", {"status": "closed", "reason": "Closed early: no ICU beds."})
    text = html_text(client.get(RECORD).content.decode())
    assert "Clínica SOMER Rionegro, Colombia Recruiting January 13, 2020" in text
    assert "Bogotá ICU site Bogotá, Colombia Closed to recruitment March 2, 2020" in text
    assert "Medellín ICU site" not in text  # CO-02 was never activated


def _activate_two_close_one(trial) -> None:
    _status(trial, "CO-01", {"status": "active", "reason": REASON, "activated_on": "2020-01-13"})
    _status(trial, "CO-03", {"status": "active", "reason": REASON,
                            "activated_on": "2020-03-02"})
    _status(trial, "CO-03", {"status": "closed", "reason": "Closed early: no ICU beds."})


@pytest.mark.usefixtures("seeded_registry")
def test_the_json_record_lists_activated_sites_as_locations_from_the_protocol(trial, client):
    before = client.get(f"{RECORD}.json").json()["protocolSection"]
    assert "locations" not in before.get("contactsLocationsModule", {})
    _activate_two_close_one(trial)
    response = client.get(f"{RECORD}.json")
    Study.model_validate(response.json())  # strict v2 models: the status is a v2 value
    assert response.json()["protocolSection"]["contactsLocationsModule"]["locations"] == [
        {"facility": "Clínica SOMER", "status": "RECRUITING", "city": "Rionegro",
         "country": "Colombia"},
        {"facility": "Bogotá ICU site", "status": "COMPLETED", "city": "Bogotá",
         "country": "Colombia"},
    ]
    assert "Medellín" not in response.content.decode()  # CO-02 was never activated
    sources = client.get(f"{RECORD}.provenance.json").json()
    by_path = {item["path"]: item for item in sources["fields"]}
    located = by_path["protocolSection.contactsLocationsModule.locations"]
    assert located["source"] == "trial protocol" and located["protocolPath"] == "sites"
    assert "protocolSection.contactsLocationsModule.locations" in sources["protocolAdded"]


@pytest.mark.usefixtures("seeded_registry")
def test_fhir_lists_activated_sites_as_contained_locations_with_their_source(trial, client):
    assert "site" not in client.get(f"{RECORD}/fhir").json()
    _activate_two_close_one(trial)
    resource = client.get(f"{RECORD}/fhir").json()

    def extension(element: dict, url: str) -> str:
        return next(e["valueCode"] for e in element["extension"] if e["url"] == url)

    assert [site["display"] for site in resource["site"]] == ["Clínica SOMER", "Bogotá ICU site"]
    assert [extension(site, SITE_STATUS_EXTENSION) for site in resource["site"]] == [
        "RECRUITING", "COMPLETED"]
    assert {extension(site, SOURCE_EXTENSION) for site in resource["site"]} == {"trial-protocol"}
    contained = {f"#{item['id']}": item for item in resource["contained"]}
    first = contained[resource["site"][0]["reference"]]
    assert first["address"] == {"city": "Rionegro", "country": "Colombia"}
    assert first["status"] == "active"
    assert contained[resource["site"][1]["reference"]]["status"] == "inactive"
    assert "Medellín" not in str(resource)


@pytest.mark.parametrize(("site_status", "overall", "expected"), [
    ("active", "RECRUITING", "RECRUITING"),
    ("active", "NOT_YET_RECRUITING", "NOT_YET_RECRUITING"),
    ("active", "SUSPENDED", "SUSPENDED"),
    ("active", "COMPLETED", "COMPLETED"),
    ("closed", "RECRUITING", "COMPLETED"),
    ("closed", "TERMINATED", "TERMINATED"),
    ("suspended", "RECRUITING", "SUSPENDED"),  # the site's recruitment halted, not the trial's
    ("suspended", "COMPLETED", "COMPLETED"),
    ("suspended", "TERMINATED", "TERMINATED"),
])
def test_a_sites_registry_status_follows_its_own_and_the_trials(site_status, overall,
                                                                 expected) -> None:
    site = SiteStatus("CO-01", "Clínica SOMER", "Rionegro", "Colombia", False, site_status)
    assert location_status(site, overall) == expected
