"""`trialdesk registry import|export`: formats, versions, bad files leave the registry as it was."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from registry_seed_page import seeded_registry
from registry_testdata import make_study

from trialdesk.commands.registry import command
from trialdesk.protocol import load_protocol
from trialdesk.standards.ctgov import facts_from_protocol, facts_from_study
from trialdesk.web.registry.models import Study, StudyVersion
from trialdesk.web.registry.presenters import parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_registry")]
__all__ = ["seeded_registry"]  # a fixture, used through usefixtures
GOOD = make_study("NCT90000010", "Good Study", status="RECRUITING", start="2024-05-02")


def run(*args: str):
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


def write(folder: Path, name: str, document: object) -> Path:
    path = folder / name
    path.write_text(document if isinstance(document, str) else json.dumps(document),
                    encoding="utf-8")
    return path


def snapshot() -> list[tuple[str, int, str]]:
    return [(s.nct_id, s.version, json.dumps(s.document, sort_keys=True))
            for s in Study.objects.order_by("nct_id")]


def test_import_reads_a_study_a_page_and_a_zip(tmp_path: Path) -> None:
    page = write(tmp_path, "page.json", {"studies": [
        make_study("NCT90000011", "Paged One"), make_study("NCT90000012", "Paged Two")]})
    bundle = tmp_path / "ctg-studies.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("NCT90000013.json", json.dumps(make_study("NCT90000013", "Zipped")))
    result = run("import", str(write(tmp_path, "one.json", GOOD)), str(page), str(bundle),
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 4
    assert Study.objects.get(nct_id="NCT90000013").source == f"{bundle}!NCT90000013.json"


def test_importing_an_nct_number_again_updates_it_and_keeps_the_earlier_version(
        tmp_path: Path) -> None:
    run("import", str(write(tmp_path, "v1.json", GOOD)))
    changed = copy.deepcopy(GOOD)
    changed["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    result = run("import", str(write(tmp_path, "v2.json", changed)), "--json")
    assert json.loads(result.stdout)["updated"] == 1
    study = Study.objects.get(nct_id="NCT90000010")
    assert (study.version, study.overall_status) == (2, "COMPLETED")
    [earlier] = StudyVersion.objects.filter(study=study)
    assert earlier.version == 1
    assert earlier.document == GOOD
    again = run("import", str(write(tmp_path, "v2-again.json", changed)), "--json")
    assert json.loads(again.stdout)["unchanged"] == 1
    assert StudyVersion.objects.filter(study=study).count() == 1


def _without_nct(document: dict) -> dict:
    bad = copy.deepcopy(document)
    del bad["protocolSection"]["identificationModule"]["nctId"]
    return bad


def _with_status(document: dict, section: str, key: str, value: object) -> dict:
    bad = copy.deepcopy(document)
    bad["protocolSection"][section][key] = value
    return bad


BAD_FILES = {
    "malformed JSON": ('{"protocolSection": {"identificationModule": {"nctId": "NCT9',
                      "$", "malformed JSON at line 1"),
    "missing nctId": (_without_nct(make_study("NCT90000020", "No Id")),
                      "$.protocolSection.identificationModule.nctId", "required key is missing"),
    "impossible date": (make_study("NCT90000021", "Bad Date", start="2023-13-01"),
                        "$.protocolSection.statusModule.startDateStruct.date", "no month 13"),
    "unknown overallStatus": (
        _with_status(make_study("NCT90000022", "Bad Status"), "statusModule", "overallStatus",
                     "ONGOING"),
        "$.protocolSection.statusModule.overallStatus", "Input should be"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_named_with_its_json_path_and_nothing_is_imported(
        tmp_path: Path, case: str) -> None:
    document, path, message = BAD_FILES[case]
    before = snapshot()
    good = write(tmp_path, "good.json", GOOD)
    bad = write(tmp_path, "bad.json", document)
    result = run("import", str(good), str(bad))
    assert result.exit_code == 2
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {bad}: ")
    assert f": {path}: " in line
    assert message in line
    assert "nothing imported" in result.stderr
    assert snapshot() == before


def test_export_then_import_gives_back_the_protocol_facts(tmp_path: Path) -> None:
    out = tmp_path / "nct04390152.json"
    assert run("export", "--out", str(out)).exit_code == 0
    Study.objects.filter(nct_id="NCT04390152").delete()
    result = run("import", str(out), "--json")
    assert json.loads(result.stdout)["created"] == 1
    row = Study.objects.get(nct_id="NCT04390152")
    assert facts_from_study(parse(row)) == facts_from_protocol(load_protocol())


def test_export_writes_to_stdout_and_rejects_a_bad_protocol(tmp_path: Path) -> None:
    result = run("export")
    assert json.loads(result.stdout)["protocolSection"]["identificationModule"]["nctId"] == (
        "NCT04390152")
    broken = write(tmp_path, "broken.toml", "schema_version = [")
    failed = run("export", "--protocol", str(broken))
    assert failed.exit_code == 2
    assert str(broken) in failed.stderr


def test_a_failure_while_storing_rolls_back_the_whole_import(monkeypatch) -> None:
    from trialdesk.standards.ctgov import Study as CtgovStudy
    from trialdesk.web.registry import store

    before = snapshot()
    incoming = [store.Incoming(CtgovStudy.model_validate(make_study(f"NCT9200{i:04d}", "Bulk")),
                               "test") for i in range(store.BATCH + 10)]
    calls = []
    original = Study.objects.bulk_create

    def fail_on_second_batch(rows, *args, **kwargs):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(Study.objects, "bulk_create", fail_on_second_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        store.store_studies(incoming)
    assert calls == [store.BATCH, 10]
    assert snapshot() == before


def test_a_large_import_shows_progress_on_stderr(tmp_path: Path) -> None:
    page = write(tmp_path, "big.json", {"studies": [
        make_study(f"NCT9300{i:04d}", f"Bulk {i}") for i in range(600)]})
    result = run("import", str(page), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["created"] == 600
    assert "importing" in result.stderr and "600/600" in result.stderr
