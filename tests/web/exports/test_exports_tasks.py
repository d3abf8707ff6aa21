"""Export jobs are tasks on the worker queue (issues 20, 21): the task is enqueued with its job,
a job whose worker died is finished by another worker (its files rewritten, its end recorded
once), a lost job blocks no new export, and the command line's Ctrl-C leaves no job running.

In process: a worker "killed mid-run" is a task row left RUNNING under a worker id that never
beats, as SIGKILL leaves it (the real kill: test_exports_worker_kill.py)."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from exports_testkit import enter_trial
from login import signed_in_client

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.exports import jobs
from trialdesk.web.exports.actions import do_start_export_from_command_line
from trialdesk.web.exports.api import MAX_RUNNING
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.worker.runner import recover_lost, run_ready

LEASE = dt.timedelta(seconds=60)


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    return enter_trial(trial, participants=2)


def _start(trial, username: str = "analyst"):
    return trial.api(username).post("/api/v1/exports", {"format": "adam"})


def _ends(job_id) -> list[dict]:
    return [record.changes for record in AuditRecord.objects.filter(
        object_id=str(job_id), action="finish_export")]


def _killed_mid_run(job_id) -> None:
    """What SIGKILL leaves: the task claimed by a worker that no longer beats, the job running
    with some of its files and a half ZIP written."""
    row = jobs.task_of(job_id)
    row.claim("killed-worker")
    ExportJob.objects.filter(pk=job_id).update(state=ExportJob.RUNNING, done=1, total=5)
    folder = jobs.job_folder(job_id)
    folder.mkdir(parents=True)
    (folder / "adsl.xpt").write_bytes(b"half a file")
    jobs.archive_path(job_id).with_suffix(".zip.part").write_bytes(b"half a zip")


def test_the_task_is_enqueued_with_its_job_and_a_second_run_changes_nothing(trial, entered):
    started = _start(trial)
    assert started.status_code == 201, started.content
    job_id = started.json()["id"]
    assert (started.json()["state"], jobs.task_of(job_id).status) == ("queued", "READY")
    page = signed_in_client(trial.users["analyst"]).get(f"/exports/{job_id}/")
    assert b"no background worker is running" in page.content  # none beats in this test
    assert run_ready() == 1
    job = ExportJob.objects.get(pk=job_id)
    assert job.state == ExportJob.DONE and "adsl.xpt" in job.files
    assert jobs.task_of(job_id).status == "SUCCESSFUL"
    jobs.run_export.call(job_id)  # the task run again (its worker died after the end)
    assert len(_ends(job_id)) == 1 and ExportJob.objects.get(pk=job_id).sha256 == job.sha256


def test_a_killed_workers_export_is_finished_by_another_worker_once(trial, entered):
    job_id = _start(trial).json()["id"]
    _killed_mid_run(job_id)
    assert recover_lost(LEASE) == [str(jobs.task_of(job_id).id)]  # the lease ran out
    assert run_ready() == 1  # another worker
    job = ExportJob.objects.get(pk=job_id)
    assert (job.state, job.done == job.total) == (ExportJob.DONE, True)
    ends = _ends(job_id)
    assert len(ends) == 1 and ends[0]["state"] == {"old": "running", "new": "done"}
    row = jobs.task_of(job_id)
    assert row.status == "SUCCESSFUL" and row.worker_ids[0] == "killed-worker"
    with zipfile.ZipFile(jobs.archive_path(job_id)) as bundle:  # rewritten whole
        assert sorted(bundle.namelist()) == job.files
        assert bundle.read("adsl.xpt") != b"half a file"
    assert not jobs.archive_path(job_id).with_suffix(".zip.part").exists()


def test_lost_jobs_do_not_block_new_exports(trial, entered):
    killed, gone = (_start(trial).json()["id"] for _ in range(MAX_RUNNING))
    busy = _start(trial)
    assert busy.status_code == 409 and busy.json()["error"] == "busy"  # both alive: queued
    _killed_mid_run(killed)  # its worker died: not alive, and the lease will run it again
    jobs.task_of(gone).delete()  # its task is gone: no one will ever end it
    shown = trial.api("analyst").get(f"/api/v1/exports/{gone}").json()
    assert (shown["state"], shown["error"]) == ("failed", jobs.LOST)  # before it is recorded
    listed = signed_in_client(trial.users["analyst"]).get("/exports/").content.decode()
    # each job's state a badge in words (issue 19, one design)
    assert listed.count('data-state="failed">failed<') == 1
    assert listed.count('data-state="running">running<') == 1
    assert _start(trial).status_code == 201
    lost = ExportJob.objects.get(pk=gone)
    assert (lost.state, lost.error) == (ExportJob.FAILED, jobs.LOST)
    assert len(_ends(gone)) == 1 and _ends(killed) == []
    assert ExportJob.objects.get(pk=killed).state == ExportJob.RUNNING
    page = signed_in_client(trial.users["data_manager"]).post("/exports/", {"format": "adam"})
    assert page.status_code == 302  # the page counts the same way
    assert len(jobs.alive_jobs()) == MAX_RUNNING  # the two new ones, queued


def test_a_job_the_command_line_stopped_with_ctrl_c_is_recorded_failed(trial, entered,
                                                                        tmp_path):
    job = do_start_export_from_command_line(format_name="adam", allocation="dummy",
                                            folder=tmp_path / "out", worker_id="cli-worker")
    assert jobs.task_of(job.pk).worker_ids == ["cli-worker"]  # claimed with the job

    def interrupted(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        jobs.run_here(job.pk, tmp_path / "out", "cli-worker", on_progress=interrupted)
    job.refresh_from_db()
    assert (job.state, job.error) == (ExportJob.FAILED, jobs.INTERRUPTED)
    assert jobs.task_of(job.pk).status == "FAILED" and len(_ends(job.pk)) == 1
    assert jobs.alive_jobs() == [] and jobs.lost_jobs() == []
