"""Scheduled data cuts (issue 20): at its due time the scheduler starts the exports as the
schedule's role starts them on the exports page: blinded as that role's exports are (the dummy
allocation for a blinded role, no arm in the files; the real arms for the DSMB statistician),
owned, listed with their progress and audited as theirs, with the due time as the data cut-off;
a cut the role may not make is refused, started nowhere, and shown."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from login import signed_in_client

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.models import ExportJob
from trialdesk.web.schedules.models import ScheduledRun
from trialdesk.web.schedules.scheduler import do_create_schedule, enqueue_due
from trialdesk.web.trials.models import Randomization
from trialdesk.web.worker.runner import run_ready

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "exports"))  # its test kit
from exports_testkit import download, enter_trial, read_xpt

WEEK = dt.timedelta(days=7)
DESIGN_FILES = ("ta.xpt", "te.xpt", "ts.xpt")  # the protocol's arms, as the registry lists them


@pytest.fixture
def entered(trial, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    return enter_trial(trial, participants=4)


def _cut(trial, username: str, formats: list[str]) -> tuple[ScheduledRun, dt.datetime]:
    due = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    do_create_schedule(kind="data_cut", every=WEEK, first=due, settings={"formats": formats},
                       membership=trial.users[username].memberships.get())
    [run] = enqueue_due()
    return run, due


def test_a_blinded_roles_scheduled_cut_is_its_blinded_export_with_the_due_time_as_cut_off(
        trial, entered, tmp_path):
    run, due = _cut(trial, "data_manager", ["sdtm", "adam"])
    assert (run.state, run.result["allocation"]) == (ScheduledRun.DONE, "dummy")
    jobs = list(ExportJob.objects.filter(pk__in=run.result["exports"]).order_by("format"))
    assert [(j.format, j.owner, j.allocation, j.data_cutoff, j.state) for j in jobs] == [
        (name, trial.users["data_manager"], "dummy", due, ExportJob.QUEUED)
        for name in ("adam", "sdtm")]
    started = AuditRecord.objects.filter(action="start_export").order_by("seq")
    assert [(r.actor, r.changes["allocation"]["new"], r.changes["data_cutoff"]["new"])
            for r in started] == [("data_manager", "dummy", due.isoformat())] * 2

    client = signed_in_client(trial.users["data_manager"])
    page = client.get("/exports/").content.decode()
    assert page.count("scheduled data cut, cut-off") == 2 and "<progress" in page
    assert run_ready() == 2
    api = trial.api("data_manager")
    texts = {text.upper() for text in arm_revealing_texts(get_protocol(), ["en", "es"])}
    read = set()
    for job in jobs:
        view = api.get(f"/api/v1/exports/{job.pk}").json()
        assert (view["state"], view["data_cutoff"]) == ("done", due.isoformat())
        for name, content in download(api, str(job.pk)).items():
            read.add(name)
            if name.rsplit("/", 1)[-1] in DESIGN_FILES:
                continue
            body = content.decode("utf-8", errors="replace")
            assert find_leaks(body.upper(), texts) == [], (job.format, name)
            if name == "dm.xpt":
                frame, _ = read_xpt(content, tmp_path, name)
                assert set(frame["ARMCD"]) <= {"DUMMY1", "DUMMY2"}
    assert {"dm.xpt", "adsl.xpt"} <= read
    assert "Scheduled data cut" in client.get(f"/exports/{jobs[0].pk}/").content.decode()


def test_the_dsmb_statisticians_scheduled_cut_carries_the_real_arms(trial, entered, tmp_path):
    run, _ = _cut(trial, "dsmb_statistician", ["sdtm"])
    assert run.result["allocation"] == "real"
    assert run_ready() == 1
    [job_id] = run.result["exports"]
    files = download(trial.api("dsmb_statistician"), job_id)
    frame, _ = read_xpt(files["dm.xpt"], tmp_path, "dm.xpt")
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    assert dict(zip(frame["SUBJID"], frame["ARMCD"], strict=True)) == {
        code: arm.upper() for code, arm in arms.items()}


def test_a_cut_the_role_may_not_make_is_refused_starts_nothing_and_is_shown(trial, entered):
    run, _ = _cut(trial, "data_manager", ["sdtm", "ctgov-results"])  # results need the arms
    assert run.state == ScheduledRun.FAILED and "final unblinding" in run.last_error
    assert not ExportJob.objects.exists()
    assert not AuditRecord.objects.filter(action="start_export").exists()
    page = signed_in_client(trial.users["admin"]).get("/schedules/").content.decode()
    assert f'data-id="{run.pk}" data-state="failed"' in page and "final unblinding" in page
    user = trial.users["analyst"]
    user.is_active = False  # deactivated after the schedule was set
    user.save(update_fields=["is_active"])
    deactivated, _ = _cut(trial, "analyst", ["adam"])
    assert deactivated.state == ScheduledRun.FAILED and not ExportJob.objects.exists()
