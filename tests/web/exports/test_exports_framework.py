"""The export framework: a job per format started through the API (or the page, or the
command line), audited with its allocation; the allocation decided from the role and the
unblinding, never the real arm for a blinded role."""

from __future__ import annotations

import json

import pyreadstat
import pytest
from click.testing import CliRunner
from exports_testkit import download, enter_trial, read_xpt, run_jobs_inline
from login import signed_in_client

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.trials.models import Randomization


@pytest.fixture
def entered(trial, monkeypatch, settings, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    return enter_trial(trial)


def _start(trial, username: str, body: dict) -> dict:
    response = trial.api(username).post("/api/v1/exports", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_blinded_analyst_gets_the_dummy_allocation_labelled_never_the_real_arm(
        trial, entered, tmp_path):
    started = _start(trial, "analyst", {"format": "adam"})
    assert started["allocation"] == "dummy"
    job = trial.api("analyst").get(f"/api/v1/exports/{started['id']}").json()
    assert job["state"] == "done", job
    assert job["files"] == ["adsl.csv", "adsl.xpt", "adtte.csv", "adtte.xpt", "define.xml"]
    files = download(trial.api("analyst"), started["id"])
    adsl, meta = read_xpt(files["adsl.xpt"], tmp_path, "adsl.xpt")
    assert len(adsl) == len(entered)
    assert set(adsl["TRT01P"]) <= {"DUMMY ALLOCATION GROUP 1 (NOT THE TRIAL'S ARMS)",
                                   "DUMMY ALLOCATION GROUP 2 (NOT THE TRIAL'S ARMS)"}
    assert meta.column_names_to_labels["TRT01P"] == "Planned Treatment for Period 01"
    everything = b"".join(files.values()).decode("latin-1")
    for label in ("Standard therapy plus MSC", "Standard therapy alone"):
        assert label not in everything
    # audited: who, what, which allocation; and the end with the files' SHA-256
    start, finish = AuditRecord.objects.filter(object_id=started["id"]).order_by("seq")
    assert (start.actor, start.action) == ("analyst", "start_export")
    assert start.changes["format"]["new"] == "adam"
    assert start.changes["allocation"]["new"] == "dummy"
    assert (finish.actor, finish.action) == ("system", "finish_export")
    assert finish.changes["sha256"]["new"] == job["sha256"]


def test_the_dsmb_statistician_gets_the_real_arms(trial, entered, tmp_path):
    started = _start(trial, "dsmb_statistician", {"format": "adam"})
    assert started["allocation"] == "real"
    files = download(trial.api("dsmb_statistician"), started["id"])
    adsl, _ = read_xpt(files["adsl.xpt"], tmp_path, "adsl.xpt")
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    labels = {"msc": "Standard therapy plus MSC", "standard": "Standard therapy alone"}
    assert dict(zip(adsl["SUBJID"], adsl["TRT01P"], strict=True)) == {
        code: labels[arm] for code, arm in arms.items()}


def test_none_means_no_allocation_at_all(trial, entered, tmp_path):
    started = _start(trial, "analyst", {"format": "adam", "allocation": "none"})
    assert started["allocation"] == "none"
    files = download(trial.api("analyst"), started["id"])
    adsl, _ = read_xpt(files["adsl.xpt"], tmp_path, "adsl.xpt")
    assert set(adsl["TRT01P"]) == {""}


def test_a_job_is_its_owners_only_and_bad_input_names_the_field(trial, entered):
    started = _start(trial, "analyst", {"format": "adam"})
    for path in (f"/api/v1/exports/{started['id']}", f"/api/v1/exports/{started['id']}/download",
                 "/api/v1/exports/not-a-uuid"):
        assert trial.api("data_manager").get(path).status_code == 404, path
    before = ExportJob.objects.count()
    refused = trial.api("analyst").post("/api/v1/exports", {"format": "sas7bdat"})
    assert refused.status_code in (400, 422) and "format" in refused.content.decode()
    refused = trial.api("analyst").post("/api/v1/exports", {"format": "adam",
                                                             "allocation": "real"})
    assert refused.status_code in (400, 422) and "allocation" in refused.content.decode()
    assert trial.api("monitor").post("/api/v1/exports", {"format": "adam"}).status_code == 403
    assert ExportJob.objects.count() == before


def test_the_page_has_a_button_per_format_and_shows_the_jobs_progress(trial, entered):
    client = signed_in_client(trial.users["data_manager"])
    page = client.get("/exports/")
    assert page.status_code == 200
    assert b'name="format" value="sdtm"' in page.content
    assert b'name="format" value="adam"' in page.content
    response = client.post("/exports/", {"format": "adam"})
    assert response.status_code == 302
    job = client.get(response["Location"])
    assert job.status_code == 200 and b"download" in job.content
    status = json.loads(client.get(response["Location"] + "status").content)
    assert status["state"] == "done" and status["done"] == status["total"] > 0
    assert client.post("/exports/", {"format": "nothing"}).status_code == 400


def test_the_command_line_exports_the_dummy_allocation_before_the_unblinding(
        trial, entered, tmp_path):
    from trialdesk.commands.export import command

    out = tmp_path / "out"
    result = CliRunner().invoke(command, ["adam", "--out", str(out), "--json",
                                          "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    job = json.loads(result.output)
    assert (job["state"], job["allocation"]) == ("done", "dummy")
    assert (out / "adsl.xpt").is_file() and (out / "adtte.csv").is_file()
    start = AuditRecord.objects.filter(object_id=job["id"]).order_by("seq").first()
    assert (start.actor, start.changes["allocation"]["new"]) == ("cli", "dummy")
    bad = CliRunner().invoke(command, ["nothing", "--out", str(out)])
    assert bad.exit_code == 2 and "sdtm" in bad.output


def test_adam_of_participants_without_an_outcome_yet_keeps_its_dates_numeric(
        trial, monkeypatch, tmp_path):
    """No end-of-study form yet: ADTTE's ADT is empty for everyone, and stays a (missing) SAS
    date, not a text column; ADSL and ADTTE still have every participant."""
    from api_client import ApiClient
    from enrollment import randomize

    from trialdesk.web.exports.jobs import job_folder

    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    run_jobs_inline(monkeypatch)
    codes = [randomize(ApiClient(trial.users["investigator-co-01"]), days_ago=3)[0]
             for _ in range(2)]
    started = _start(trial, "analyst", {"format": "adam"})
    folder = job_folder(started["id"])
    adtte, meta = pyreadstat.read_xport(str(folder / "adtte.xpt"))
    assert meta.readstat_variable_types["ADT"] == "double" and adtte["ADT"].isna().all()
    adsl, _ = pyreadstat.read_xport(str(folder / "adsl.xpt"))
    assert sorted(adsl["SUBJID"]) == sorted(codes)


def test_a_format_that_needs_the_real_arms_is_offered_only_with_them(trial, entered):
    from trialdesk.web.exports.formats import EXPORT_FORMATS

    needing = [name for name, f in EXPORT_FORMATS.items() if f.needs_real_allocation]
    assert needing  # the ClinicalTrials.gov results record
    blinded = signed_in_client(trial.users["analyst"]).get("/exports/").content.decode()
    unblinded = signed_in_client(trial.users["dsmb_statistician"]).get("/exports/")
    for name in needing:
        assert f'value="{name}"' not in blinded
        assert f'value="{name}"' in unblinded.content.decode()
        posted = signed_in_client(trial.users["dsmb_statistician"]).post(
            "/exports/", {"format": name, "allocation": "none"})
        assert posted.status_code == 409


def test_a_users_oldest_jobs_beyond_ten_are_forgotten_with_their_files(
        trial, entered, django_capture_on_commit_callbacks):
    from trialdesk.web.exports.actions import KEEP_PER_USER
    from trialdesk.web.exports.jobs import archive_path, job_folder

    first = _start(trial, "analyst", {"format": "adam"})["id"]
    assert job_folder(first).is_dir() and archive_path(first).is_file()
    for _ in range(KEEP_PER_USER):
        with django_capture_on_commit_callbacks(execute=True):
            _start(trial, "analyst", {"format": "adam"})
    assert not ExportJob.objects.filter(pk=first).exists()
    assert not job_folder(first).exists() and not archive_path(first).exists()
    assert ExportJob.objects.filter(owner=trial.users["analyst"]).count() == KEEP_PER_USER
    forget = AuditRecord.objects.get(object_id=first, action="forget_export")
    assert forget.actor == "analyst" and forget.changes["state"]["old"] == "done"


def test_the_page_names_the_formats_in_the_readers_language(trial):
    """The formats' names in Spanish (issue 19); the API and the command keep the English."""
    spanish = signed_in_client(trial.users["data_manager"], language="es").get(
        "/exports/").content.decode()
    assert "CSV de cada formulario con un diccionario de datos al estilo de REDCap" in spanish
    assert "CSV of every form" not in spanish
    english = signed_in_client(trial.users["data_manager"]).get("/exports/").content.decode()
    assert "CSV of every form with a REDCap-style data dictionary" in english
