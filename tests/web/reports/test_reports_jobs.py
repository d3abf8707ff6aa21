"""Issue 20, the analysis report as a background task: /reports/ queues it (audited) and
answers at once, the job's page shows its progress and then the report, exactly the report the
page computed for the same reader before; a job whose worker died is finished by another
worker once; a failure says why in plain words; a blinded reader's job page and API answer
carry no arm, and a report with arms is never shown to the same person acting as a blinded
role.

In process: a worker "killed mid-run" is a task row left RUNNING under a worker id that never
beats, with its job half-way, as SIGKILL leaves it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from login import signed_in_client
from reports_testkit import build_trial
from test_reports_page import _arm_leaks

from trialdesk.web.core.actor import actor_as
from trialdesk.web.core.models import AuditRecord, Membership
from trialdesk.web.core.timezones import user_zone
from trialdesk.web.reports import jobs
from trialdesk.web.reports.context import report_context
from trialdesk.web.reports.models import AnalysisReportJob
from trialdesk.web.worker.runner import recover_lost, run_ready

LEASE = dt.timedelta(seconds=60)


def _queue(client) -> AnalysisReportJob:
    response = client.post("/reports/")
    job = AnalysisReportJob.objects.order_by("-created_at").first()
    assert response.status_code == 302 and response.url == f"/reports/jobs/{job.pk}/"
    return job


def _task(job: AnalysisReportJob) -> DBTaskResult:
    return DBTaskResult.objects.get(task_path=jobs.run_analysis_report.module_path,
                                    args_kwargs__args__0=str(job.pk))


def _ends(job: AnalysisReportJob) -> list[dict]:
    return [r.changes for r in AuditRecord.objects.filter(action="finish_analysis_report",
                                                          object_id=str(job.pk))]


def test_the_button_queues_the_report_and_its_page_shows_the_progress_then_the_report(trial):
    build_trial(trial, per_site=2)
    run_ready()  # the e-mails the trial's actions queued
    analyst = signed_in_client(trial.users["analyst"])
    job = _queue(analyst)
    assert (job.state, _task(job).status) == ("queued", "READY")
    [started] = AuditRecord.objects.filter(action="start_analysis_report")
    assert started.actor == "analyst" and started.object_id == str(job.pk)
    page = analyst.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert 'data-state="queued"' in page and "<progress" in page
    assert '<meta http-equiv="refresh"' in page and "no background worker is running" in page
    assert 'id="mortality"' not in page  # no report before its task ran
    assert analyst.get(f"/reports/jobs/{job.pk}/status").json() == {
        "state": "queued", "done": 0, "total": 3, "percent": 0}
    assert trial.api("analyst").get(f"/api/v1/reports/jobs/{job.pk}").json()["state"] == (
        "queued")
    assert run_ready() == 1
    job.refresh_from_db()
    assert (job.state, job.done, job.shows_arms) == ("done", 3, False)
    page = analyst.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert 'data-state="done"' in page and 'id="mortality"' in page
    assert job.html in page and f'href="/reports/jobs/{job.pk}/download/"' in page
    download = analyst.get(f"/reports/jobs/{job.pk}/download/")
    assert download.content.decode() == job.standalone
    assert job.html in analyst.get("/reports/").content.decode()  # the latest one
    assert _ends(job) == [{"groups": {"old": None, "new": "coded"},
                           "state": {"old": "running", "new": "done"}}]


@pytest.mark.parametrize("reader", ["analyst", "data_manager", "dsmb_statistician"])
def test_the_job_makes_what_the_page_made_before_for_the_same_reader(trial, reader):
    """The task's report is ``report_context``'s, rendered for the job's reader, at its time:
    a blinded reader's holds their coded groups exactly, a DSMB statistician's the arms."""
    build_trial(trial, per_site=2)
    job = _queue(signed_in_client(trial.users[reader], "es"))
    run_ready()
    job.refresh_from_db()
    actor = actor_as(Membership.objects.get(user=trial.users[reader]))
    # the reader's zone: the time is written in it, with its offset (issue 19)
    with translation.override("es"), timezone.override(user_zone(trial.users[reader])):
        context = report_context(actor, now=job.generated_at)
        assert job.html == render_to_string("reports/_report.html", context)
        assert job.standalone == render_to_string("reports/standalone.html", context)
    assert job.shows_arms == (reader == "dsmb_statistician")
    if reader != "dsmb_statistician":
        assert _arm_leaks(job.html) == [] and _arm_leaks(job.standalone) == []


def test_a_blinded_readers_job_page_and_api_answer_carry_no_arm(trial):
    build_trial(trial, per_site=2)
    manager = signed_in_client(trial.users["data_manager"])
    job = _queue(manager)
    api = trial.api("data_manager")
    for _ in range(2):  # queued, then done
        for body in (manager.get(f"/reports/jobs/{job.pk}/").content.decode(),
                     manager.get(f"/reports/jobs/{job.pk}/status").content.decode(),
                     api.get(f"/api/v1/reports/jobs/{job.pk}").content.decode(),
                     manager.get("/reports/").content.decode()):
            assert _arm_leaks(body) == []
        run_ready()
    # another reader's job is not found, as one that does not exist
    analyst = signed_in_client(trial.users["analyst"])
    assert analyst.get(f"/reports/jobs/{job.pk}/").status_code == 404
    assert trial.api("analyst").get(f"/api/v1/reports/jobs/{job.pk}").status_code == 404


def test_a_report_is_shown_only_to_its_reader_acting_as_the_role_it_was_made_for(trial):
    """One person, two roles: a report stays with the role it was made for (a person may not
    hold a role that sees arms beside a blinded one, so these two are both blinded)."""
    from django.urls import reverse

    from trialdesk.web.accounts.actions import do_add_membership

    build_trial(trial, per_site=2)
    person = trial.users["analyst"]
    do_add_membership(actor="test", username=person.get_username(), role="data_manager",
                      site=None)
    client = signed_in_client(person)

    def choose(role: str) -> None:
        chosen = Membership.objects.get(user=person, role=role)
        response = client.post(reverse("accounts:choose_role"), {"membership": chosen.pk,
                                                                  "next": "/"})
        assert response.status_code == 302

    choose("analyst")
    job = _queue(client)
    run_ready()
    job.refresh_from_db()
    assert job.membership.role == "analyst"
    assert 'id="mortality"' in client.get(f"/reports/jobs/{job.pk}/").content.decode()
    choose("data_manager")
    assert client.get(f"/reports/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/reports/jobs/{job.pk}/download/").status_code == 404
    assert client.get("/reports/download/").status_code == 404
    assert 'id="mortality"' not in client.get("/reports/").content.decode()


def test_a_killed_workers_report_is_finished_by_another_worker_once(trial):
    build_trial(trial, per_site=2)
    run_ready()
    job = _queue(signed_in_client(trial.users["analyst"]))
    row = _task(job)
    row.claim("killed-worker")  # what SIGKILL leaves: claimed, running, half-way
    AnalysisReportJob.objects.filter(pk=job.pk).update(state="running", done=1)
    shown = trial.api("analyst").get(f"/api/v1/reports/jobs/{job.pk}").json()
    assert (shown["state"], shown["done"]) == ("running", 1)
    assert recover_lost(LEASE) == [str(row.id)]  # the lease ran out: queued again
    assert run_ready() == 1  # another worker
    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 3) and 'id="mortality"' in job.html
    assert len(_ends(job)) == 1
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.worker_ids[0] == "killed-worker"
    jobs.run_analysis_report.call(str(job.pk))  # run again after its end: nothing more
    assert len(_ends(job)) == 1


def test_a_failed_job_says_why_in_plain_words(trial, monkeypatch):
    from trialdesk.web.reports import context

    def broken(**_):
        raise RuntimeError("arm A's frame: boom")  # text a reader must not see

    monkeypatch.setattr(context, "load_report_data", broken)
    analyst = signed_in_client(trial.users["analyst"])
    job = _queue(analyst)
    run_ready()
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "error")
    for language, words in (("en", "An unexpected error stopped it"),
                            ("es", "Un error inesperado lo detuvo")):
        page = signed_in_client(trial.users["analyst"], language).get(
            f"/reports/jobs/{job.pk}/").content.decode()
        assert 'data-state="failed"' in page and words in page and "boom" not in page
    assert "boom" not in str(_ends(job))
    DBTaskResult.objects.all().delete()  # a job whose task is gone is shown lost
    lost = _queue(analyst)
    _task(lost).delete()
    page = analyst.get(f"/reports/jobs/{lost.pk}/").content.decode()
    assert 'data-state="failed"' in page and "was lost" in page
