"""Issue 15: coding against the sponsor's MedDRA release (a synthetic release in the ASCII
format, tests/data/meddra-synthetic): loading it is checked and audited; the coding queue searches
it; the LLT code alone codes an event, with the names and primary path from the release."""

from __future__ import annotations

import pytest
from safety_kit import INVESTIGATOR, randomized, report

from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.safety import dictionary

EVENTS = "/api/v1/safety/adverse-events"


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_without_a_release_terms_stay_verbatim_and_are_coded_by_hand(trial, data_dir):
    assert dictionary.current_dictionary() is None
    dm = trial.api("data_manager")
    assert dm.get("/api/v1/safety/dictionary/search", text="glimmer").status_code == 409
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", EVENTS, report(code, term="glimmering"))
    refused = dm.post(f"{EVENTS}/{event['id']}/code", {"llt_code": "99300001"})
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "pt_code"


def test_a_loaded_release_codes_from_the_llt_code(trial, data_dir, test_data):
    summary = dictionary.do_load_dictionary(actor="cli", folder=test_data / "meddra-synthetic")
    assert summary["llts"] >= 5
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "load_dictionary" and record.changes["sha256"]["new"] == summary[
        "sha256"]
    dm = trial.api("data_manager")
    found = dm.get("/api/v1/safety/dictionary/search", text="glimmer").json()
    assert found[0]["llt_code"] == "99300001" and found[0]["pt_name"] == "Glimmer flicker"
    assert found[0]["soc_name"] == "Synthetic glimmer system disorders"
    assert found[-1]["current"] is False  # the old term comes last
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", EVENTS, report(code, term="flickering glimmer"))
    coded = dm.ok("POST", f"{EVENTS}/{event['id']}/code", {"llt_code": "99400002"})["coded"]
    assert coded == {"llt_code": "99400002", "llt_name": "Flickering glimmer",
                     "pt_code": "99300001", "pt_name": "Glimmer flicker",
                     "soc_code": "99000001", "soc_name": "Synthetic glimmer system disorders"}
    for llt, rule in (("99999999", "is not in the loaded MedDRA release"),
                      ("99400003", "is not current in the loaded MedDRA release")):
        response = dm.post(f"{EVENTS}/{event['id']}/code", {"llt_code": llt, "reason": "recode"})
        assert response.json()["fields"] == [{"field": "llt_code", "rule": rule}]


def test_a_broken_release_is_refused_naming_file_and_line_and_changes_nothing(
        trial, data_dir, test_data, tmp_path_factory):
    broken = tmp_path_factory.mktemp("broken")
    for path in (test_data / "meddra-synthetic").iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "llt.asc").write_text("99300001$Glimmer$77777777$$$$$$$Y$$\n")
    before = AuditRecord.objects.count()
    with pytest.raises(InvalidInput) as refused:
        dictionary.do_load_dictionary(actor="cli", folder=broken)
    assert refused.value.field == "meddra" and "llt.asc" in refused.value.rule
    assert AuditRecord.objects.count() == before
    assert dictionary.current_dictionary() is None
