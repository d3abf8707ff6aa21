"""ClinicalTrials.gov v2 JSON: strict validation, readable errors, and the protocol round trip."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.standards.ctgov import (
    RegistryImportError,
    facts_from_protocol,
    facts_from_study,
    read_files,
    study_from_protocol,
    study_to_json,
)
from trialdesk.standards.ctgov.writer import study_to_dict

EXAMPLE_DOC = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT99999999", "briefTitle": "Example"},
        "statusModule": {"overallStatus": "RECRUITING",
                         "startDateStruct": {"date": "2025-03-01", "type": "ACTUAL"}},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE1", "PHASE2"]},
    },
}


def write(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def only_issue(error: pytest.ExceptionInfo[RegistryImportError]):
    assert len(error.value.issues) == 1, error.value.issues
    return error.value.issues[0]


def test_protocol_to_json_and_back_gives_the_same_facts(tmp_path: Path) -> None:
    protocol = load_protocol()
    path = tmp_path / "nct04390152.json"
    path.write_text(study_to_json(study_from_protocol(protocol)), encoding="utf-8")
    [read] = read_files([path])
    facts = facts_from_study(read.study)
    assert facts == facts_from_protocol(protocol)
    assert facts.phases == ("PHASE1", "PHASE2")
    assert facts.start_date == "2020-01-13"
    assert facts.completion_date == "2022-04"
    assert facts.sponsor == "BioXcellerator"
    assert facts.masking == "QUADRUPLE"


def test_export_writes_phases_as_two_codes_and_leaves_analyst_out_of_who_masked() -> None:
    document = study_to_dict(study_from_protocol(load_protocol()))
    design = document["protocolSection"]["designModule"]
    assert design["phases"] == ["PHASE1", "PHASE2"]
    masking = design["designInfo"]["maskingInfo"]
    assert masking["masking"] == "QUADRUPLE"
    assert masking["whoMasked"] == ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR",
                                    "OUTCOMES_ASSESSOR"]
    arm = document["protocolSection"]["armsInterventionsModule"]["armGroups"][0]
    assert arm["interventionNames"] == ["Other: Standard therapy for COVID-19 ARDS",
                                        "Biological: Mesenchymal stem cells (intravenous)"]


def test_the_example_study_reads_and_writes_back_unchanged(test_data: Path) -> None:
    example = test_data / "ctgov" / "example-study.json"  # sources in tests/data/README.md
    [read] = read_files([example])
    assert study_to_dict(read.study) == json.loads(example.read_text(encoding="utf-8"))


def test_a_page_and_a_zip_of_studies_are_read(tmp_path: Path) -> None:
    second = copy.deepcopy(EXAMPLE_DOC)
    second["protocolSection"]["identificationModule"]["nctId"] = "NCT99999998"
    page = write(tmp_path, "page.json", {"studies": [EXAMPLE_DOC, second], "nextPageToken": "x"})
    bundle = tmp_path / "bulk.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("NCT99999997.json", json.dumps(
            {**EXAMPLE_DOC, "protocolSection": {
                **EXAMPLE_DOC["protocolSection"],
                "identificationModule": {"nctId": "NCT99999997", "briefTitle": "Zipped"}}}))
    found = read_files([page, bundle])
    assert [r.study.nct_id for r in found] == ["NCT99999999", "NCT99999998", "NCT99999997"]
    assert found[2].file == f"{bundle}!NCT99999997.json"


def test_malformed_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"protocolSection": {\n  "identificationModule": }', encoding="utf-8")
    with pytest.raises(RegistryImportError) as error:
        read_files([path])
    issue = only_issue(error)
    assert issue.file == str(path)
    assert issue.path == "$"
    assert "malformed JSON at line 2" in issue.message


def test_missing_nct_id_names_the_json_path(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE_DOC)
    del document["protocolSection"]["identificationModule"]["nctId"]
    path = write(tmp_path, "no-id.json", {"studies": [EXAMPLE_DOC, document]})
    with pytest.raises(RegistryImportError) as error:
        read_files([path])
    issue = only_issue(error)
    assert (issue.file, issue.record) == (str(path), "record #2")
    assert issue.path == "$.studies[1].protocolSection.identificationModule.nctId"
    assert issue.message == "required key is missing"


def test_impossible_date_is_rejected_with_its_path(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE_DOC)
    document["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "2021-02-29"
    with pytest.raises(RegistryImportError) as error:
        read_files([write(tmp_path, "date.json", document)])
    issue = only_issue(error)
    assert issue.record == "NCT99999999"
    assert issue.path == "$.protocolSection.statusModule.startDateStruct.date"
    assert "not a calendar date" in issue.message


def test_unknown_overall_status_is_rejected(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE_DOC)
    document["protocolSection"]["statusModule"]["overallStatus"] = "ONGOING"
    with pytest.raises(RegistryImportError) as error:
        read_files([write(tmp_path, "status.json", document)])
    issue = only_issue(error)
    assert issue.path == "$.protocolSection.statusModule.overallStatus"
    assert "RECRUITING" in issue.message


def test_misspelt_key_is_rejected_although_the_official_schema_allows_it(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE_DOC)
    document["protocolSection"]["designModule"]["phase"] = ["PHASE1"]
    with pytest.raises(RegistryImportError) as error:
        read_files([write(tmp_path, "typo.json", document)])
    issue = only_issue(error)
    assert issue.path == "$.protocolSection.designModule.phase"
    assert issue.message.startswith("unknown key")


def test_a_combined_phase_code_does_not_exist(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE_DOC)
    document["protocolSection"]["designModule"]["phases"] = ["PHASE1_PHASE2"]
    with pytest.raises(RegistryImportError) as error:
        read_files([write(tmp_path, "phase.json", document)])
    assert only_issue(error).path == "$.protocolSection.designModule.phases[0]"


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", EXAMPLE_DOC)
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    missing = tmp_path / "absent.json"
    with pytest.raises(RegistryImportError) as error:
        read_files([good, bad, missing])
    assert [issue.file for issue in error.value.issues] == [str(bad), str(missing)]
