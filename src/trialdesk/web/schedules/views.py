"""The administrator's page of scheduled work: each schedule and its recent runs, failures
with their error (a backup that keeps failing is seen here, not only in the worker's log)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.pages import page
from trialdesk.web.schedules.backups import MAX_ATTEMPTS
from trialdesk.web.schedules.models import Schedule, ScheduledRun
from trialdesk.web.schedules.timing import describe_interval

PERMISSION = "manage_users"  # the sponsor's administrator, as for undelivered e-mail
RECENT_RUNS = 30
KINDS = {Schedule.BACKUP: _("Backup"), Schedule.DATA_CUT: _("Data cut")}
STATES = {
    ScheduledRun.QUEUED: pgettext_lazy("job state", "queued"),
    ScheduledRun.RUNNING: pgettext_lazy("job state", "running"),
    ScheduledRun.RETRYING: pgettext_lazy("job state", "being retried"),
    ScheduledRun.DONE: pgettext_lazy("job state", "done"),
    ScheduledRun.FAILED: pgettext_lazy("job state", "failed"),
}


def _what(schedule: Schedule) -> str:
    options = schedule.settings
    if schedule.kind == Schedule.BACKUP:
        return _("to %(folder)s, keeping the newest %(keep)s") % {
            "folder": options.get("out_dir", ""), "keep": options.get("keep", "")}
    membership = schedule.membership
    return _("%(formats)s as %(user)s (%(role)s)") % {
        "formats": ", ".join(options.get("formats", [])),
        "user": membership.user.get_username() if membership else "",
        "role": membership.role if membership else ""}


def _run_row(run: ScheduledRun) -> dict[str, Any]:
    detail = run.result.get("file", "") if run.schedule.kind == Schedule.BACKUP else (
        ", ".join(run.result.get("exports", [])))
    return {"id": run.pk, "kind": KINDS[run.schedule.kind], "due_at": run.due_at,
            "state": run.state, "label": STATES.get(run.state, run.state),
            "attempts": run.attempts, "error": run.last_error, "detail": detail,
            "next_attempt_at": run.next_attempt_at}


@require_GET
@page(PERMISSION, record_readers=None)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    schedules = [{"id": s.pk, "kind": KINDS[s.kind], "every": describe_interval(s.every_seconds),
                  "next_due": s.next_due, "active": s.active, "what": _what(s)}
                 for s in Schedule.objects.select_related("membership__user").order_by("pk")]
    runs = [_run_row(run) for run in ScheduledRun.objects.select_related("schedule")[
        :RECENT_RUNS]]
    return render(request, "schedules/index.html", {
        "actor": actor, "schedules": schedules, "runs": runs, "max_attempts": MAX_ATTEMPTS})
