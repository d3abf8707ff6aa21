"""The analysis report as a background task (issue 20), its progress on the job's row.

``/reports/`` queues a job with its task (``actions.do_start_analysis_report``, one transaction)
and answers at once; a worker runs :data:`run_analysis_report`: the report computed for the
job's reader exactly as the page computed it before (``context.report_context``, the reader's
role deciding arms or coded groups, in the reader's language), rendered as the page's part and
the standalone file, and kept on the job by ``actions.do_finish_analysis_report``. The report is
one pass over the database: a task run again after its worker died starts over, and the job's
end is recorded once (a job already ended is left alone).

A failure's reason is a code of :data:`REASONS`, never an exception's text.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import close_old_connections
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from trialdesk.web.core.actor import actor_as, require
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.core.permissions import READ_REPORT
from trialdesk.web.core.timezones import site_zone
from trialdesk.web.reports.actions import STEPS, do_finish_analysis_report
from trialdesk.web.reports.context import report_context
from trialdesk.web.reports.models import AnalysisReportJob
from trialdesk.web.worker import jobs as worker_jobs
from trialdesk.web.worker.jobs import retrying
from trialdesk.web.worker.jobs import worker_alive as worker_alive  # the pages read it here

log = logging.getLogger(__name__)

REASONS = {
    "forbidden": _("Your role may no longer read the report."),
    "lost": _("The background worker running it was lost; generate the report again."),
    "error": _("An unexpected error stopped it; the server's log has the details."),
}


@task()
def run_analysis_report(job_id: str) -> None:
    """The background task of one job (enqueued by ``actions.do_start_analysis_report``)."""
    run_job(job_id, raise_unmarked=True)


def run_job(job_id: Any, *, raise_unmarked: bool = False) -> AnalysisReportJob | None:
    """Compute and render the job's report, then record its end; a failure is recorded on the
    job, and a shutdown (a BaseException) goes through: the task is run again."""
    close_old_connections()
    try:
        job = AnalysisReportJob.objects.select_related(
            "membership__user", "membership__site").filter(pk=job_id).first()
        if job is None or job.state in (AnalysisReportJob.DONE, AnalysisReportJob.FAILED):
            return None
        try:
            actor = actor_as(job.membership)
            require(actor, READ_REPORT)
            _mark(job.pk, state=AnalysisReportJob.RUNNING, done=0)
            # the reader's language and zone (their site's), as the pages write times
            site = job.membership.site
            zone = site_zone(site.code if site is not None else None)
            with translation.override(job.language), timezone.override(zone):
                context = report_context(actor, on_step=lambda done: _mark(job.pk, done=done))
                html = render_to_string("reports/_report.html", context)
                standalone = render_to_string("reports/standalone.html", context)
            _mark(job.pk, done=STEPS)
            return retrying(lambda: do_finish_analysis_report(
                job.pk, html=html, standalone=standalone, shows_arms=context["shows_arms"],
                generated_at=context["generated_at"]))
        except Forbidden:
            log.warning("analysis report job %s: its role may no longer read the report", job_id)
            return retrying(lambda: do_finish_analysis_report(job.pk, error="forbidden"))
        except Exception:  # the job row reports that it failed; the log says why
            log.exception("analysis report job %s failed", job_id)
            return retrying(lambda: do_finish_analysis_report(job.pk, error="error"))
    except Exception:
        log.exception("analysis report job %s ended and could not be marked", job_id)
        if raise_unmarked:
            raise
        return None


def job_view(job: AnalysisReportJob) -> dict[str, Any]:
    """The job as the pages and the API show it: state and progress, a failure's reason as a
    code (a lost job as failed), whether the report shows arms once done; never the report."""
    view = worker_jobs.job_view(job, run_analysis_report, lost="lost", unknown="error",
                                head={"language": job.language})
    if view["state"] == AnalysisReportJob.DONE:
        view.update(shows_arms=job.shows_arms, generated_at=job.generated_at.isoformat(),
                    download=f"/reports/jobs/{job.pk}/download/")
    return view


def reason(code: str) -> str:
    """A failure's reason in the reader's language."""
    return str(REASONS.get(code, REASONS["error"]))


def _mark(job_id: Any, **fields: Any) -> None:
    worker_jobs.mark_progress(AnalysisReportJob, job_id, **fields)
