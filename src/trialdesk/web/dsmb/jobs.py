"""A DSMB report's generation as a background task (issue 20), its progress on the job's row.

The meeting page's button queues a :class:`~trialdesk.web.dsmb.models.ReportJob` with its task
(``actions.do_start_report_job``, one transaction) and answers at once; a worker runs
:data:`run_report_job`: the figures as of the meeting's cut-off, then the document in each
language, each one kept as a checkpointed step (``worker.steps``) with the generation's time, so
that a task run again after its worker died makes only what is missing, with the same time; and
last ``actions.do_finish_report_job`` stores the report and its audit record in one transaction,
once (a job already ended is left alone).

What a job's row says (state, steps done, a failure's reason as a code of :data:`REASONS`) holds
no figure: a closed report's job is shown only to those who read closed reports
(``presenters.visible_jobs``), and a reason is never an exception's text.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import close_old_connections
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from trialdesk.web.core import clock
from trialdesk.web.core.actor import actor_as
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.dsmb.actions import do_finish_report_job, report_documents
from trialdesk.web.dsmb.models import ReportJob
from trialdesk.web.worker import jobs as worker_jobs
from trialdesk.web.worker.jobs import retrying
from trialdesk.web.worker.jobs import worker_alive as worker_alive  # the pages read it here
from trialdesk.web.worker.steps import done_steps, forget, step

log = logging.getLogger(__name__)

# why a job failed, in the reader's words; the row keeps the code
REASONS = {
    "forbidden": _("The role that asked for the report may no longer generate it."),
    "lost": _("The background worker running it was lost; generate the report again."),
    "error": _("An unexpected error stopped it; the server's log has the details."),
}


def _key(job_id: Any) -> str:
    return f"dsmb-report-{job_id}"


@task()
def run_report_job(job_id: str) -> None:
    """The background task of one job (enqueued by ``actions.do_start_report_job``)."""
    run_job(job_id, raise_unmarked=True)


def run_job(job_id: Any, *, raise_unmarked: bool = False) -> ReportJob | None:
    """Make the job's documents and store its report; a failure is recorded on the job (its
    reason a code), and a shutdown (a BaseException) goes through: the task is run again."""
    close_old_connections()
    try:
        job = ReportJob.objects.select_related("meeting", "membership__user").filter(
            pk=job_id).first()
        if job is None or job.state in (ReportJob.DONE, ReportJob.FAILED):
            return None
        key = _key(job.pk)
        try:
            actor = actor_as(job.membership)  # refused now if the role was taken away
            done = done_steps(key)
            # the generation's time is kept first: a run again writes the same documents
            at = step(key, 0, lambda: clock.now().isoformat(), dump=str, load=str, done=done)
            generated_at = dt.datetime.fromisoformat(at)
            made = {value["language"]: value["html"] for index, value in done.items() if index}
            _mark(job.pk, state=ReportJob.RUNNING, done=len(made))
            counter = {"index": len(made)}

            def keep(language: str, html: str) -> None:
                counter["index"] += 1
                step(key, counter["index"], lambda: {"language": language, "html": html},
                     dump=dict, load=dict, done={})
                _mark(job.pk, done=counter["index"])

            documents = report_documents(job.meeting, job.kind, actor.username, generated_at,
                                         done=made, on_document=keep)
            ended = retrying(lambda: do_finish_report_job(job.pk, documents=documents,
                                                         generated_at=generated_at))
        except Forbidden:
            log.warning("DSMB report job %s: its role may no longer generate it", job_id)
            ended = retrying(lambda: do_finish_report_job(job.pk, error="forbidden"))
        except Exception:  # the job row reports that it failed; the log says why
            log.exception("DSMB report job %s failed", job_id)
            ended = retrying(lambda: do_finish_report_job(job.pk, error="error"))
        forget(key)
        return ended
    except Exception:
        log.exception("DSMB report job %s ended and could not be marked", job_id)
        if raise_unmarked:
            raise
        return None


def job_view(job: ReportJob) -> dict[str, Any]:
    """The job as the pages and the API show it: no figure, a failure's reason as a code (a
    lost job as failed); the stored report's id once done."""
    view = worker_jobs.job_view(job, run_report_job, lost="lost", unknown="error",
                                head={"meeting": job.meeting_id, "kind": job.kind})
    if view["state"] == ReportJob.DONE:
        view["report"] = job.report_id
    return view


def reason(code: str) -> str:
    """A failure's reason in the reader's language."""
    return str(REASONS.get(code, REASONS["error"]))


def _mark(job_id: Any, **fields: Any) -> None:
    """Move the job's progress (a seam of its own: a test stops the worker between documents)."""
    worker_jobs.mark_progress(ReportJob, job_id, **fields)
