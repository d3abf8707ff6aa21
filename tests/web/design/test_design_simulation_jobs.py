"""Simulation from a SPEC: started by a form, run in chunks by a background task, polled, then
shown."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import OperationalError
from login import signed_in_client_without_login_signal as client_for
from trial_factory import make_trial_wide_users_without_audit

from trialdesk.stats.design.simulate import simulate
from trialdesk.stats.design.spec import EXAMPLES, load_spec
from trialdesk.web.design.jobs import KEEP_PER_USER, create_simulation_job_for, run_job
from trialdesk.web.design.models import SimulationJob
from trialdesk.web.worker.runner import run_worker

SPEC = (EXAMPLES / "three_look_obf.toml").read_text(encoding="utf-8")


@pytest.fixture
def users(transactional_db):
    return make_trial_wide_users_without_audit(["analyst", "dsmb_statistician"])


def _get(client, url: str):
    """GET while the job's thread may be writing.

    The test database is SQLite in memory with a shared cache, where a reader is refused ("table is
    locked") while another connection's write transaction is open, with no busy wait; the server's
    file database in WAL mode lets readers through. So a refused read is tried again here.
    """
    for _ in range(200):
        try:
            return client.get(url)
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.05)
    return client.get(url)


def _wait(client, status_url: str, seen: list[dict]) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = _get(client, status_url).json()
        seen.append(status)
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"the simulation did not finish: {seen[-1]}")


def test_a_simulation_runs_in_the_background_and_shows_the_cores_numbers(users):
    client = client_for(users["analyst"])
    response = client.post("/design/simulate/", {"spec": SPEC, "sims": 30000, "seed": 7})
    assert response.status_code == 302
    job_url = response["Location"]
    first = _get(client, job_url).content.decode()
    assert "<progress" in first and "no background worker is running" in first  # queued
    # a worker (in a thread here; `trialdesk worker` in production) runs the queued task
    worker = threading.Thread(target=run_worker, kwargs={"batch": True, "beat": False})
    worker.start()
    seen: list[dict] = []
    try:
        status = _wait(client, job_url + "status", seen)
    finally:
        worker.join(timeout=120)
    assert status == {"state": "done", "done": 3, "total": 3, "percent": 100}
    assert all(s["done"] <= s["total"] == 3 for s in seen)
    html = _get(client, job_url).content.decode()
    job = SimulationJob.objects.get()
    core = simulate(load_spec(EXAMPLES / "three_look_obf.toml"), 30000, seed=7, chunk=job.chunk,
                    progress=False)
    shown = re.findall(r'<td class="simulated">([0-9.]+) ', html)
    assert shown == [f"{r.rejection_probability:.5f}" for r in core]
    exact = re.findall(r'<td class="exact">([0-9.]+)</td>', html)
    assert exact == [f"{r.exact.rejection_probability:.5f}" for r in core]
    assert "<svg" in html and "<progress" not in html


def test_progress_is_recorded_chunk_by_chunk(users):
    spec = load_spec(EXAMPLES / "default_trial.toml")
    job = create_simulation_job_for(owner=users["analyst"], spec_text=(
        EXAMPLES / "default_trial.toml").read_text(encoding="utf-8"), spec=spec, sims=2500,
        seed=None)
    assert (job.state, job.chunks_done, job.seed) == ("queued", 0, 40)  # the SPEC's seed
    job.chunk = 1000
    job.chunks_total = 9  # 3 scenarios x chunks of 1000, 1000, 500
    job.save()
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.chunks_done, job.percent) == ("done", 9, 100)
    core = simulate(spec, 2500, chunk=1000, progress=False)
    assert [s["rejection_probability"] for s in job.result["scenarios"]] == [
        r.rejection_probability for r in core]


def test_another_users_job_is_not_found_and_a_bad_spec_names_the_field(users):
    owner, other = client_for(users["analyst"]), client_for(users["dsmb_statistician"])
    job = create_simulation_job_for(owner=users["analyst"], spec_text=SPEC,
                                   spec=load_spec(EXAMPLES / "three_look_obf.toml"), sims=1000,
                                   seed=1)
    assert owner.get(f"/design/simulate/{job.pk}/status").status_code == 200
    assert other.get(f"/design/simulate/{job.pk}/").status_code == 404
    assert other.get(f"/design/simulate/{job.pk}/status").status_code == 404
    assert other.get("/design/simulate/not-a-uuid/").status_code == 404
    bad = SPEC.replace('spending = "obf"', 'spending = "nope"')
    response = owner.post("/design/simulate/", {"spec": bad, "sims": 1000})
    assert response.status_code == 400
    assert re.search(r'id="id_spec-error">Simulation SPEC \(TOML\): The SPEC is not valid: '
                     r"design.boundaries", response.content.decode())
    too_many = owner.post("/design/simulate/", {"spec": SPEC, "sims": 10_000_000})
    assert 'id="id_sims-error"' in too_many.content.decode()


def test_each_user_keeps_only_the_latest_jobs(users):
    spec = load_spec(EXAMPLES / "three_look_obf.toml")
    for _ in range(KEEP_PER_USER + 3):
        create_simulation_job_for(owner=users["analyst"], spec_text=SPEC, spec=spec, sims=1000,
                                 seed=1)
    assert SimulationJob.objects.filter(owner=users["analyst"]).count() == KEEP_PER_USER


def test_a_job_whose_task_ended_without_ending_it_is_shown_as_failed(users):
    from django_tasks_db.models import DBTaskResult

    client = client_for(users["analyst"])
    job = create_simulation_job_for(owner=users["analyst"], spec_text=SPEC,
                                   spec=load_spec(EXAMPLES / "three_look_obf.toml"), sims=1000,
                                   seed=1)
    assert client.get(f"/design/simulate/{job.pk}/status").json()["state"] == "queued"
    # its task failed outside the job's own error handling (a worker lost too often)
    assert DBTaskResult.objects.filter(args_kwargs__args__0=str(job.pk)).update(
        status="FAILED") == 1
    assert client.get(f"/design/simulate/{job.pk}/status").json()["state"] == "failed"
    assert "The simulation failed." in client.get(f"/design/simulate/{job.pk}/").content.decode()
