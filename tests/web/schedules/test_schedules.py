"""Scheduled work in process (issue 20): a due run is queued once and the due times missed
while no worker ran are not caught up; a backup run writes the existing backup under its due
time's name and keeps the newest N; a failing run is logged, retried with a doubling pause,
given up after its last attempt and shown to the administrator; each writer is all or nothing
with its audit record."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from contextlib import closing

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from faults import FaultAfterAuditRecord, fail_after_the_audit_record
from login import signed_in_client

from trialdesk.backup import retention
from trialdesk.backup.archive import read_backup
from trialdesk.backup.crypto import new_key_file, read_key_file
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.schedules import backups
from trialdesk.web.schedules.backups import MAX_ATTEMPTS, run_scheduled_backup
from trialdesk.web.schedules.models import Schedule, ScheduledRun
from trialdesk.web.schedules.scheduler import (
    do_claim_due_run,
    do_create_schedule,
    do_stop_schedule,
    enqueue_due,
)
from trialdesk.web.worker.runner import run_ready

DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)


@pytest.fixture
def folders(db, tmp_path, monkeypatch):
    """A data directory holding a small SQLite database, a key, and where backups go."""
    data = tmp_path / "data"
    data.mkdir()
    with closing(sqlite3.connect(data / "trialdesk.sqlite3")) as database:
        database.execute("CREATE TABLE visit (code TEXT)")
        database.execute("INSERT INTO visit VALUES ('P-001')")
        database.commit()
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    key = tmp_path / "backup.key"
    new_key_file(key)
    return {"out": tmp_path / "backups", "key": key}


def _backup_schedule(folders, first: dt.datetime, keep: int = 3, every=DAY) -> Schedule:
    return do_create_schedule(kind="backup", every=every, first=first, settings={
        "out_dir": str(folders["out"]), "keep": keep, "key_file": str(folders["key"])})


def dump_database() -> dict[str, list[dict]]:
    """The rows the scheduler's writers touch: schedules, runs, tasks and the audit trail."""
    return {model._meta.db_table: list(model.objects.order_by("pk").values())
            for model in (Schedule, ScheduledRun, DBTaskResult, AuditRecord)}


def _tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=run_scheduled_backup.module_path))


def test_a_due_run_is_queued_once_and_missed_due_times_are_not_caught_up(folders):
    now = timezone.now()
    first = now - 3 * DAY - HOUR  # a worker down for three days
    schedule = _backup_schedule(folders, first)
    [run] = enqueue_due(now)
    assert enqueue_due(now) == [] and enqueue_due(now + HOUR) == []
    assert (run.due_at, run.state) == (first, ScheduledRun.QUEUED)
    schedule.refresh_from_db()
    assert schedule.next_due == first + 4 * DAY  # the next one after now, not the three missed
    assert [task.args_kwargs["args"] for task in _tasks()] == [[run.pk]]
    assert AuditRecord.objects.filter(action="queue_scheduled_backup").count() == 1
    [next_run] = enqueue_due(schedule.next_due)
    assert next_run.due_at == first + 4 * DAY
    do_stop_schedule(schedule_id=schedule.pk)
    assert enqueue_due(schedule.next_due + 10 * DAY) == []


def test_each_run_writes_its_due_times_backup_and_the_newest_n_are_kept(folders):
    out = folders["out"]
    out.mkdir()
    (out / "trialdesk-20200101T000000Z.tdbackup").write_bytes(b"an old scheduled backup")
    (out / "notes.txt").write_text("not a backup: never touched")
    first = timezone.now().replace(microsecond=0) - 10 * DAY
    schedule = _backup_schedule(folders, first, keep=2)
    for day in range(4):
        enqueue_due(first + day * DAY)
        assert run_ready() == 1
    runs = list(ScheduledRun.objects.order_by("due_at"))
    assert [run.state for run in runs] == [ScheduledRun.DONE] * 4
    names = [retention.scheduled_name(first + day * DAY) for day in range(4)]
    assert [run.result["file"] for run in runs] == names
    assert sorted(path.name for path in out.iterdir()) == ["notes.txt", *names[2:]]
    assert [run.result["deleted"] for run in runs] == [
        [], ["trialdesk-20200101T000000Z.tdbackup"], [names[0]], [names[1]]]
    assert not list(out.glob(".*"))  # no partial file, no staging folder
    done = AuditRecord.objects.filter(action="scheduled_backup_done").order_by("seq")
    assert [record.changes["file"]["new"] for record in done] == names
    assert schedule.runs.count() == 4


def test_a_run_done_again_keeps_a_whole_backup_and_rewrites_a_half_written_one(
        folders, monkeypatch, tmp_path):
    first = timezone.now().replace(microsecond=0) - HOUR
    _backup_schedule(folders, first)
    [run] = enqueue_due()
    out = folders["out"] / retention.scheduled_name(first)
    work = folders["out"] / f".run-{run.pk}"  # what a killed worker left: its folder, a staging
    (work / ".trialdesk-backup-x").mkdir(parents=True)  # copy and a half-written backup
    (work / ".trialdesk-backup-x" / "trialdesk.sqlite3").write_bytes(b"plaintext copy")
    partial = work / f".{out.name}.partial"
    partial.write_bytes(b"what a killed worker left")
    ScheduledRun.objects.filter(pk=run.pk).update(state=ScheduledRun.RUNNING)
    assert run_ready() == 1
    assert not work.exists() and [p.name for p in folders["out"].iterdir()] == [out.name]
    with out.open("rb") as whole_file:  # a whole backup: it decrypts, hashes checked
        manifest = read_backup(whole_file, read_key_file(folders["key"]), tmp_path / "check",
                               lambda count: None)
    assert manifest["database"] == "sqlite"
    whole = out.read_bytes()
    # its end recorded by no one (killed after the rename): done again, the file is kept as is
    ScheduledRun.objects.filter(pk=run.pk).update(state=ScheduledRun.RUNNING)
    calls = []
    monkeypatch.setattr(backups, "make_backup", lambda *args: calls.append(args))
    assert run_scheduled_backup.call(run.pk) == ScheduledRun.DONE
    assert calls == [] and out.read_bytes() == whole


def test_a_failing_run_is_logged_retried_with_back_off_and_shown(folders, trial, settings,
                                                                 caplog):
    settings.TRIALDESK_SCHEDULE_FIRST_RETRY_SECONDS = 120
    _backup_schedule(folders, timezone.now() - HOUR)
    folders["key"].rename(folders["key"].with_suffix(".moved"))  # the key's volume not mounted
    [run] = enqueue_due()
    with caplog.at_level(logging.WARNING, logger="trialdesk.schedules"):
        assert run_ready() == 1
    run.refresh_from_db()
    assert (run.state, run.attempts) == (ScheduledRun.RETRYING, 1)
    assert "backup.key" in run.last_error
    assert any("attempt 1 of" in message for message in caplog.messages)
    waiting = [task for task in _tasks() if task.status == "READY"]
    assert len(waiting) == 1
    pause = waiting[0].run_after - timezone.now()
    assert dt.timedelta(seconds=100) < pause <= dt.timedelta(seconds=120)
    assert run_ready() == 0  # not before its pause
    page = signed_in_client(trial.users["admin"]).get("/schedules/")
    assert page.status_code == 200
    row = page.content.decode()
    assert f'data-id="{run.pk}" data-state="retrying"' in row and "backup.key" in row

    DBTaskResult.objects.filter(pk=waiting[0].pk).update(run_after=timezone.now())
    with caplog.at_level(logging.WARNING, logger="trialdesk.schedules"):
        assert run_ready() == 1
    run.refresh_from_db()
    assert (run.state, run.attempts) == (ScheduledRun.RETRYING, 2)
    later = next(task for task in _tasks() if task.status == "READY").run_after
    assert later - timezone.now() > dt.timedelta(seconds=200)  # the pause doubled

    folders["key"].with_suffix(".moved").rename(folders["key"])
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert run_ready() == 1
    run.refresh_from_db()
    assert (run.state, run.attempts) == (ScheduledRun.DONE, 3)
    assert list(AuditRecord.objects.filter(object_id=str(run.pk), model="scheduled_run")
                .order_by("seq").values_list("action", flat=True)) == [
        "queue_scheduled_backup", "scheduled_backup_retrying", "scheduled_backup_retrying",
        "scheduled_backup_done"]


def test_a_run_that_keeps_failing_is_given_up_logged_and_shown(folders, trial, settings,
                                                               caplog):
    settings.TRIALDESK_SCHEDULE_FIRST_RETRY_SECONDS = 0  # every retry ready at once
    _backup_schedule(folders, timezone.now() - HOUR)
    folders["key"].unlink()
    [run] = enqueue_due()
    with caplog.at_level(logging.WARNING, logger="trialdesk.schedules"):
        assert run_ready() == MAX_ATTEMPTS
    run.refresh_from_db()
    assert (run.state, run.attempts) == (ScheduledRun.FAILED, MAX_ATTEMPTS)
    assert any(r.levelno == logging.ERROR and "given up" in r.getMessage()
               for r in caplog.records)
    assert AuditRecord.objects.filter(action="scheduled_backup_failed").count() == 1
    assert AuditRecord.objects.filter(action="scheduled_backup_retrying").count() == (
        MAX_ATTEMPTS - 1)
    page = signed_in_client(trial.users["admin"]).get("/schedules/").content.decode()
    assert f'data-id="{run.pk}" data-state="failed"' in page and "backup.key" in page
    assert not folders["out"].exists() or not any(folders["out"].iterdir())


def test_only_the_administrator_opens_the_schedules_page_and_it_is_in_spanish(trial):
    assert signed_in_client(trial.users["analyst"]).get("/schedules/").status_code == 403
    admin = trial.users["admin"]
    membership = admin.memberships.get()
    membership.language = "es"
    membership.save(update_fields=["language"])
    page = signed_in_client(admin).get("/schedules/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    assert "Trabajo programado" in page.content.decode()


def test_the_writers_store_nothing_when_they_fail_after_their_audit_record(folders,
                                                                          monkeypatch):
    first = timezone.now() - HOUR
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        _backup_schedule(folders, first)
    monkeypatch.undo()
    assert dump_database() == before
    schedule = _backup_schedule(folders, first)
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        do_claim_due_run(schedule_id=schedule.pk, now=timezone.now())
    assert enqueue_due() == []  # the poller logs the fault and goes on to the next schedule
    with pytest.raises(FaultAfterAuditRecord):
        do_stop_schedule(schedule_id=schedule.pk)
    monkeypatch.undo()
    assert dump_database() == before and not _tasks()
    [run] = enqueue_due()
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        backups.do_record_backup_run(run_id=run.pk, result={}, error="OSError: disk full")
    monkeypatch.undo()
    assert dump_database() == before
