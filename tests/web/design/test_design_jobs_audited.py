"""Simulation jobs are written by actions: starting one is audited with its statistician, a role
without a design permission is refused, the worker's progress adds nothing to the audit trail
and the job's end is audited as the system's."""

from __future__ import annotations

import hashlib
import json

import pytest
from design_testkit import client_for, make_trial_wide_users_without_audit, make_users
from faults import fail_after_the_audit_record

from trialdesk.stats.design.spec import EXAMPLES, load_spec
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.design import jobs
from trialdesk.web.design.actions import KEEP_PER_USER, do_start_simulation
from trialdesk.web.design.models import SimulationJob

SPEC_PATH = EXAMPLES / "three_look_obf.toml"
SPEC = SPEC_PATH.read_text(encoding="utf-8")


@pytest.fixture
def users(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_users({"analyst": None, "monitor": None})


def _start(user, *, sims=1000, seed=7):
    return do_start_simulation(actor_for(user), spec_text=SPEC, spec=load_spec(SPEC_PATH),
                               sims=sims, seed=seed)


def _records(job_id) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(model="simulation_job", object_id=str(job_id))
                .order_by("seq"))


def test_starting_a_simulation_is_audited_with_its_statistician_and_the_spec(users):
    job = _start(users["analyst"])
    [record] = _records(job.pk)
    assert (record.actor, record.action) == ("analyst", "start_simulation")
    assert record.changes["spec_sha256"] == {
        "old": None, "new": hashlib.sha256(SPEC.encode("utf-8")).hexdigest()}
    assert record.changes["sims"] == {"old": None, "new": 1000}
    assert record.changes["seed"] == {"old": None, "new": 7}
    assert record.changes["name"]["new"] == job.name
    assert all(set(change) == {"old", "new"} for change in record.changes.values())


def test_the_page_starts_its_job_through_the_audited_action_which_enqueues_its_task(users):
    from django_tasks_db.models import DBTaskResult

    response = client_for(users["analyst"]).post(
        "/design/simulate/", {"spec": SPEC, "sims": 2000, "seed": 3})
    assert response.status_code == 302
    job = SimulationJob.objects.get()
    [record] = _records(job.pk)
    assert (record.actor, record.action, record.changes["sims"]["new"]) == (
        "analyst", "start_simulation", 2000)
    [task] = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs, task.status) == (
        jobs.run_simulation.module_path, {"args": [str(job.pk)], "kwargs": {}}, "READY")


def test_the_task_row_and_the_job_are_written_in_one_transaction(users):
    from django_tasks.signals import task_enqueued
    from django_tasks_db.models import DBTaskResult

    def refuse(sender, task_result, **kwargs):
        assert DBTaskResult.objects.filter(pk=task_result.id).exists()  # written, not committed
        raise RuntimeError("after the task's row")

    task_enqueued.connect(refuse)
    try:
        with pytest.raises(RuntimeError, match="after the task's row"):
            _start(users["analyst"])
    finally:
        task_enqueued.disconnect(refuse)
    assert not DBTaskResult.objects.exists() and not SimulationJob.objects.exists()


def test_a_role_without_a_design_permission_may_not_start_a_simulation(users):
    before = AuditRecord.objects.count()
    with pytest.raises(Forbidden):
        _start(users["monitor"])
    assert not SimulationJob.objects.exists()
    assert AuditRecord.objects.count() == before


def test_a_failure_after_the_audit_record_stores_no_job(users, monkeypatch):
    before = AuditRecord.objects.count()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(RuntimeError, match="after the audit record"):
        _start(users["analyst"])
    assert not SimulationJob.objects.exists()
    assert AuditRecord.objects.count() == before


def test_forgetting_the_oldest_job_is_audited(users):
    first = _start(users["analyst"])
    for _ in range(KEEP_PER_USER):
        _start(users["analyst"])
    assert not SimulationJob.objects.filter(pk=first.pk).exists()
    start, forget = _records(first.pk)
    assert (start.action, forget.action) == ("start_simulation", "forget_simulation")
    assert forget.changes == {"state": {"old": "queued", "new": None}}


@pytest.fixture
def statistician(transactional_db):
    # the worker commits as it goes; tests/web/design/conftest.py empties the audit trail after
    return make_trial_wide_users_without_audit(["analyst"])["analyst"]


def test_progress_adds_no_audit_record_and_the_end_is_audited_as_the_system(statistician):
    job = _start(statistician, sims=2500, seed=11)
    job.chunk, job.chunks_total = 1000, 9  # 3 scenarios x chunks of 1000, 1000, 500
    job.save()
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.chunks_done) == ("done", 9)  # nine progress writes, then the end
    start, end = _records(job.pk)
    assert AuditRecord.objects.count() == 2
    assert (start.action, start.actor) == ("start_simulation", "analyst")
    assert (end.action, end.actor) == ("finish_simulation", "system")
    assert end.changes["state"] == {"old": "running", "new": "done"}
    digest = hashlib.sha256(json.dumps(job.result, sort_keys=True).encode("utf-8")).hexdigest()
    assert end.changes["result_sha256"] == {"old": None, "new": digest}


def test_a_failed_job_is_audited_with_its_error(statistician):
    job = _start(statistician)
    SimulationJob.objects.filter(pk=job.pk).update(spec_toml="name = [")
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == "failed"
    end = _records(job.pk)[-1]
    assert (end.action, end.actor) == ("finish_simulation", "system")
    assert end.changes["state"] == {"old": "queued", "new": "failed"}
    assert end.changes["error"]["new"] == job.error and "not valid TOML" in job.error
