"""The writers of analysis report jobs: a reader queues one (``do_start_analysis_report``), its
task records its end (``do_finish_analysis_report``). Both are audited; the records name the
job, the language and whether the report shows arms or coded groups, never a figure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.models import Membership
from trialdesk.web.core.permissions import READ_REPORT
from trialdesk.web.reports.models import AnalysisReportJob

SYSTEM = "system"
KEEP_PER_USER = 5  # a report's row holds its whole HTML: the older ones are forgotten
STEPS = 3  # the data read, the analyses run, the documents rendered


@action(READ_REPORT)
def do_start_analysis_report(actor: Actor, *, language: str) -> AnalysisReportJob:
    """Queue the analysis report for ``actor`` in ``language``: the job and its task are stored
    in this transaction (a worker runs it: ``jobs.run_analysis_report``); the reader's jobs
    beyond the ``KEEP_PER_USER`` newest are forgotten, each audited."""
    from trialdesk.web.reports.jobs import run_analysis_report  # jobs imports this module

    membership = Membership.objects.get(pk=actor.membership_id)
    job = AnalysisReportJob.objects.create(owner=actor.user, membership=membership,
                                           language=language, total=STEPS)
    append_audit(actor=actor.username, action="start_analysis_report",
                 model="analysis_report_job", object_id=str(job.pk),
                 changes={"language": {"old": None, "new": language}})
    # the reader's finished reports in this role beyond the newest (never one still running)
    old = list(AnalysisReportJob.objects.filter(
        membership=membership, state__in=(AnalysisReportJob.DONE, AnalysisReportJob.FAILED))
        .values_list("pk", "state")[KEEP_PER_USER:])
    for pk, state in old:
        append_audit(actor=actor.username, action="forget_analysis_report",
                     model="analysis_report_job", object_id=str(pk),
                     changes={"state": {"old": state, "new": None}})
    AnalysisReportJob.objects.filter(pk__in=[pk for pk, _state in old]).delete()
    run_analysis_report.enqueue(str(job.pk))
    return job


@action(None)
def do_finish_analysis_report(job_id: Any, *, html: str = "", standalone: str = "",
                              shows_arms: bool = False, generated_at: dt.datetime | None = None,
                              error: str = "") -> AnalysisReportJob | None:
    """Record a job's end, audited as "system": done with its documents, or failed with the
    reason ``error`` (a code). A job already ended, or forgotten, is left alone, so a task run
    again after its worker died ends it once."""
    job = AnalysisReportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state in (AnalysisReportJob.DONE, AnalysisReportJob.FAILED):
        return None
    changes: dict[str, dict[str, Any]] = {}
    if error or generated_at is None:
        state = AnalysisReportJob.FAILED
        job.error = error or "error"
        changes["error"] = {"old": None, "new": job.error}
    else:
        state = AnalysisReportJob.DONE
        job.html, job.standalone, job.shows_arms = html, standalone, shows_arms
        job.generated_at, job.done = generated_at, job.total
        changes["groups"] = {"old": None, "new": "arms" if shows_arms else "coded"}
    changes["state"] = {"old": job.state, "new": state}
    job.state = state
    job.save()
    append_audit(actor=SYSTEM, action="finish_analysis_report", model="analysis_report_job",
                 object_id=str(job.pk), changes=changes)
    return job
