"""A simulation job's task run again (its worker died) reads back the chunks already done, does
not simulate them again, and ends with the core's numbers, recorded once (issue 20)."""

from __future__ import annotations

import pytest
from trial_factory import make_trial_wide_users_without_audit

from trialdesk.stats.design import simulate as core
from trialdesk.stats.design.spec import EXAMPLES, load_spec
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.design import jobs
from trialdesk.web.design.models import SimulationJob
from trialdesk.web.worker.models import TaskStep

SPEC_PATH = EXAMPLES / "default_trial.toml"


@pytest.fixture
def job(transactional_db):
    owner = make_trial_wide_users_without_audit(["analyst"])["analyst"]
    # 3 scenarios x chunks of 1000, 1000, 500; a row as the action leaves it
    return SimulationJob.objects.create(owner=owner, name="resumed",
                                        spec_toml=SPEC_PATH.read_text(encoding="utf-8"),
                                        sims=2500, seed=40, chunk=1000, chunks_total=9)


def test_a_job_run_again_reads_back_its_finished_chunks(job, monkeypatch):
    calls, stop_at = [], [4]
    real = core.simulate_chunk

    def counted(*args, **kwargs):
        calls.append(1)
        if len(calls) == stop_at[0]:
            raise SystemExit("the worker is stopped after four chunks")  # a BaseException
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "simulate_chunk", counted)
    with pytest.raises(SystemExit):
        jobs.run_job(job.pk)
    key = f"simulation:{job.pk}"
    assert sorted(TaskStep.objects.filter(key=key).values_list("index", flat=True)) == [0, 1, 2]
    job.refresh_from_db()
    assert (job.state, job.chunks_done) == ("running", 3)  # not ended: its task runs again

    calls.clear()
    stop_at[0] = None
    jobs.run_job(job.pk)  # the task run again
    assert len(calls) == 6  # the three chunks kept are read back, not simulated
    job.refresh_from_db()
    assert (job.state, job.chunks_done) == ("done", 9)
    expected = core.simulate(load_spec(SPEC_PATH), 2500, seed=40, chunk=1000, progress=False)
    assert [s["rejection_probability"] for s in job.result["scenarios"]] == [
        r.rejection_probability for r in expected]
    spec = load_spec(SPEC_PATH)
    assert [{k: v for k, v in s.items() if k != "name"} for s in job.result["scenarios"]] == [
        {k: v for k, v in jobs._json_ready(r.to_dict(spec)).items() if k != "name"}
        for r in expected]  # every figure, the float sums read back from JSON included
    assert not TaskStep.objects.filter(key=key).exists()  # forgotten once the end is recorded
    # run once more (killed after recording its end, before the task was marked done): nothing
    jobs.run_job(job.pk)
    assert AuditRecord.objects.filter(action="finish_simulation",
                                      object_id=str(job.pk)).count() == 1
