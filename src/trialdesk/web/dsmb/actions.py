"""The DSMB's writes: meetings, report generations, signed recommendations, the sponsor's
response, and the stopping rule's signals; each one transaction with its audit record.

Audit records are read by blinded roles (the administrator, the monitor): none names an arm, a
count by arm, a closed report's hash or a rationale. A closed report's existence, kind and
cut-off are audited: they do not depend on the allocation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from trialdesk.blinding import Permission
from trialdesk.web.capture.actions.signatures import check_signing_password
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor, actor_as, require
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.dates import check_trial_date
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Membership
from trialdesk.web.dsmb import data, render
from trialdesk.web.dsmb.models import (
    Meeting,
    Report,
    ReportDocument,
    ReportJob,
    SafetySignal,
    SignalAlert,
    SignedRecommendation,
    SponsorResponse,
)
from trialdesk.web.monitoring.actions import PLAN_AHEAD
from trialdesk.web.trials.actions.dsmb import DECISIONS, MIN_RATIONALE, _notify
from trialdesk.web.trials.models import DsmbRecommendation

KINDS = tuple(code for code, _label in Meeting.KINDS)
REPORT_KINDS = tuple(code for code, _label in Report.KINDS)
RESPONSES = tuple(code for code, _label in SponsorResponse.RESPONSES)
ATTENDEES_MAX = 4000
SYSTEM = "system"
TEXT_MAX = 10000

RECOMMENDATION_MEANING = _(
    "I sign this recommendation on behalf of the Data and Safety Monitoring Board. By signing I "
    "confirm that it is the Board's recommendation of this meeting. This electronic signature is "
    "the legally binding equivalent of my handwritten signature."
)


def recommendation_meaning(language: str) -> str:
    with translation.override(language):
        return str(RECOMMENDATION_MEANING)


def _text(name: str, value: str, limit: int, minimum: int = 0) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise InvalidInput(name, "must not contain the NUL character")
    if len(value) > limit:
        raise InvalidInput(name, f"at most {limit} characters")
    if len(value) < minimum:
        raise InvalidInput(name, f"must say it in at least {minimum} characters")
    return value


@action(Permission.RECOMMEND)
def do_create_meeting(actor: Actor, *, date: dt.date, kind: str, cutoff: dt.date,
                      attendees: str = "") -> Meeting:
    """Record a DSMB meeting: its date, kind (scheduled or ad hoc), data cut-off, attendees."""
    if kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
    now = clock.now()
    # a meeting may be scheduled ahead, as far as a monitoring visit; its data cut-off lies in
    # the past (a day of leeway for a zone ahead of UTC); both from the protocol's earliest date
    # of trial data
    check_trial_date("date", date, latest=dt.date.max)
    if date > now.date() + PLAN_AHEAD:
        raise InvalidInput("date", "must be at most three years ahead")
    if cutoff > date:
        raise InvalidInput("cutoff", "the data cut-off cannot be after the meeting")
    check_trial_date("cutoff", cutoff, latest=now.date() + dt.timedelta(days=1))
    attendees = _text("attendees", attendees, ATTENDEES_MAX)
    meeting = Meeting.objects.create(date=date, kind=kind, cutoff=cutoff, attendees=attendees,
                                     created_by=actor.user, created_at=now)
    append_audit(actor=actor.username, action="create_dsmb_meeting", model="dsmb_meeting",
                 object_id=str(meeting.pk),
                 changes={"date": {"old": None, "new": date.isoformat()},
                          "kind": {"old": None, "new": kind},
                          "cutoff": {"old": None, "new": cutoff.isoformat()}})
    return meeting


@action(Permission.UNBLINDED_REPORTS)
def do_generate_report(actor: Actor, meeting: Meeting, *, kind: str) -> Report:
    """Generate and store the open (pooled) or closed (by arm) report of a meeting, as the data
    stood at the meeting's cut-off: one set of figures rendered in every language the server
    offers, each document stored with its SHA-256. The pages queue it as a task instead
    (``do_start_report_job``); the API, the demo and the simulation call it directly."""
    check_report_kind(kind)
    meeting = Meeting.objects.get(pk=meeting.pk)
    now = clock.now()
    return _store_report(actor, meeting, kind, report_documents(meeting, kind, actor.username,
                                                                now), now)


def check_report_kind(kind: str) -> None:
    if kind not in REPORT_KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(REPORT_KINDS)}")


def report_documents(meeting: Meeting, kind: str, username: str, now: dt.datetime,
                     *, done: dict[str, str] | None = None,
                     on_document: Callable[[str, str], None] | None = None
                     ) -> list[tuple[str, str]]:
    """(language, HTML) of the report in every language, the reference one first; writes
    nothing. ``done``: documents already made (a task run again), not made again (nor are the
    figures when every document is there); ``on_document``: told of each one made."""
    done = done or {}
    languages = render.languages()
    figures = None
    documents = []
    for language in languages:
        if language not in done:
            if figures is None:
                figures = (data.open_figures(meeting.cutoff) if kind == Report.OPEN
                           else data.closed_figures(meeting.cutoff))
            make = render.open_html if kind == Report.OPEN else render.closed_html
            done[language] = make(meeting, figures, username, now, language)
            if on_document is not None:
                on_document(language, done[language])
        documents.append((language, done[language]))
    return documents


def _store_report(actor: Actor, meeting: Meeting, kind: str,
                  documents: list[tuple[str, str]], now: dt.datetime) -> Report:
    """Store one generation (the reference language's document first) and its audit record."""
    (reference, html), *others = documents
    report = Report.objects.create(meeting=meeting, kind=kind, cutoff=meeting.cutoff, html=html,
                                   sha256=render.sha256(html), generated_by=actor.user,
                                   generated_at=now, language=reference)
    for language, translated in others:
        ReportDocument.objects.create(report=report, language=language, html=translated,
                                      sha256=render.sha256(translated))
    changes = {"meeting": {"old": None, "new": meeting.pk}, "kind": {"old": None, "new": kind},
               "cutoff": {"old": None, "new": meeting.cutoff.isoformat()}}
    if kind == Report.OPEN:  # a closed report's hashes stay with the DSMB
        for language, language_digest in report.hashes().items():
            name = "sha256" if language == reference else f"sha256_{language}"
            changes[name] = {"old": None, "new": language_digest}
    append_audit(actor=actor.username, action="generate_dsmb_report", model="dsmb_report",
                 object_id=str(report.pk), changes=changes)
    return report


@action(Permission.UNBLINDED_REPORTS)
def do_start_report_job(actor: Actor, meeting: Meeting, *, kind: str) -> ReportJob:
    """Queue the generation of a meeting's open or closed report (the meeting page's button):
    the job and its task are stored in this transaction, audited (who asked for which kind of
    report of which meeting, as a generation is); a worker runs it (``jobs.run_report_job``)."""
    from trialdesk.web.dsmb.jobs import run_report_job  # jobs imports this module

    check_report_kind(kind)
    meeting = Meeting.objects.get(pk=meeting.pk)
    membership = Membership.objects.get(pk=actor.membership_id)
    job = ReportJob.objects.create(meeting=meeting, kind=kind, membership=membership,
                                   owner=actor.user, total=len(render.languages()) + 1)
    append_audit(actor=actor.username, action="start_dsmb_report", model="dsmb_report_job",
                 object_id=str(job.pk),
                 changes={"meeting": {"old": None, "new": meeting.pk},
                          "kind": {"old": None, "new": kind}})
    run_report_job.enqueue(str(job.pk))
    return job


@action(None)
def do_finish_report_job(job_id: Any, *, documents: list[tuple[str, str]] | None = None,
                         generated_at: dt.datetime | None = None,
                         error: str = "") -> ReportJob | None:
    """Record a job's end: with ``documents``, store its report as ``do_generate_report`` does
    (as the job's role, which must still hold the permission; audited as that person), else
    failed with the reason ``error`` (audited as "system"). A job already ended is left alone,
    so a task run again after its worker died stores one report."""
    job = ReportJob.objects.select_for_update().select_related(
        "meeting", "membership__user").filter(pk=job_id).first()
    if job is None or job.state in (ReportJob.DONE, ReportJob.FAILED):
        return None
    if documents is not None and generated_at is not None and not error:
        actor = actor_as(job.membership)
        require(actor, Permission.UNBLINDED_REPORTS)
        job.report = _store_report(actor, job.meeting, job.kind, documents, generated_at)
        job.state, job.done = ReportJob.DONE, job.total
        job.save(update_fields=["report", "state", "done", "updated_at"])
        return job
    job.state, job.error = ReportJob.FAILED, error or "error"
    job.save(update_fields=["state", "error", "updated_at"])
    append_audit(actor=SYSTEM, action="fail_dsmb_report", model="dsmb_report_job",
                 object_id=str(job.pk), changes={"error": {"old": None, "new": job.error}})
    return job


def _check_signing_password(actor: Actor, meeting: Meeting, *, password: str,
                            **_: object) -> None:
    check_signing_password(actor, password, f"dsmb_meeting {meeting.pk}")


@action(Permission.RECOMMEND, before=_check_signing_password)
def do_sign_recommendation(actor: Actor, meeting: Meeting, *, decision: str, rationale: str,
                           password: str, language: str = "en") -> SignedRecommendation:
    """Record the DSMB's recommendation of a meeting, signed electronically (the password is
    checked, and throttled as for investigators' signatures, before the transaction)."""
    if decision not in DECISIONS:
        raise InvalidInput("decision", f"must be one of {', '.join(DECISIONS)}")
    rationale = _text("rationale", rationale, TEXT_MAX, MIN_RATIONALE)
    meeting = Meeting.objects.get(pk=meeting.pk)
    now = clock.now()
    if meeting.date > now.date() + dt.timedelta(days=1):
        raise Conflict("meeting_not_held", "a recommendation is signed after its meeting")
    recommendation = DsmbRecommendation.objects.create(
        meeting_date=meeting.date, decision=decision, rationale=rationale,
        recorded_by=actor.user, recorded_at=now)
    signed = SignedRecommendation.objects.create(
        recommendation=recommendation, meeting=meeting, signed_by=actor.user, signed_at=now,
        meaning=recommendation_meaning(language), language=language)
    # the decision and the meeting, never the rationale (it may speak of the arms)
    append_audit(actor=actor.username, action="sign_dsmb_recommendation",
                 model="dsmb_recommendation", object_id=str(recommendation.pk),
                 changes={"decision": {"old": None, "new": decision},
                          "meeting": {"old": None, "new": meeting.pk},
                          "meaning": {"old": None, "new": signed.meaning}})
    _notify(recommendation, actor.username)  # queued in this transaction, sent by a task
    return signed


@action(Permission.RESPOND_RECOMMENDATION)
def do_respond_recommendation(actor: Actor, recommendation_id: int, *, response: str,
                              text: str) -> SponsorResponse:
    """Record the sponsor's response to a signed DSMB recommendation (once)."""
    if response not in RESPONSES:
        raise InvalidInput("response", f"must be one of {', '.join(RESPONSES)}")
    text = _text("text", text, TEXT_MAX, MIN_RATIONALE)
    recommendation = DsmbRecommendation.objects.filter(pk=recommendation_id).first()
    if recommendation is None:
        raise InvalidInput("recommendation", f"no DSMB recommendation {recommendation_id}")
    if SponsorResponse.objects.filter(recommendation=recommendation).exists():
        raise Conflict("already_answered", "the sponsor has already responded to it")
    answer = SponsorResponse.objects.create(
        recommendation=recommendation, response=response, text=text, responded_by=actor.user,
        responded_at=clock.now())
    append_audit(actor=actor.username, action="respond_dsmb_recommendation",
                 model="dsmb_recommendation", object_id=str(recommendation.pk),
                 changes={"response": {"old": None, "new": response},
                          "text": {"old": None, "new": text}})
    return answer


@action(None)
def do_check_stopping_rule(*, actor: str = "system") -> SafetySignal | None:
    """Evaluate the protocol's stopping rule on all data now; when it trips with more events
    than the last signal, record a signal and one pending alert per DSMB recipient (sent after
    the transaction commits). The audit record names neither counts nor arm."""
    from trialdesk.web.dsmb import alerts

    status = data.rule_status()
    if status is None or not status.tripped:
        return None
    last = SafetySignal.objects.order_by("-events").first()
    if last is not None and last.events >= status.events:
        return None
    now = clock.now()
    signal = SafetySignal.objects.create(at=now, treated=status.treated, events=status.events,
                                         probability=status.probability)
    made = alerts.create_alerts(signal, now)
    append_audit(actor=actor, action="dsmb_safety_signal", model="dsmb_safety_signal",
                 object_id=str(signal.pk),
                 changes={"alerts": {"old": None, "new": len(made)}},
                 reason="the protocol's safety stopping rule: the DSMB is alerted")
    if made:  # sent by a background task, enqueued in this transaction (issue 20)
        alerts.deliver_alerts.enqueue([alert.pk for alert in made])
    return signal


@action(None)
def do_record_signal_delivery(*, actor: str, alert_id: int, error: str, tries: int
                              ) -> SignalAlert:
    """Record one delivery round of a signal's alert (``error`` empty: sent)."""
    alert = SignalAlert.objects.select_for_update().get(pk=alert_id)
    if alert.status == SignalAlert.SENT:
        return alert
    old = alert.status
    alert.attempts += tries
    if error:
        alert.status, alert.last_error = SignalAlert.FAILED, error[:2000]
    else:
        alert.status, alert.sent_at = SignalAlert.SENT, clock.now()
    alert.save()
    changes = {"status": {"old": old, "new": alert.status},
               "attempts": {"old": alert.attempts - tries, "new": alert.attempts}}
    if error:
        changes["last_error"] = {"old": None, "new": error[:500]}
    append_audit(actor=actor, action="dsmb_signal_alert_" + ("failed" if error else "sent"),
                 model="dsmb_signal_alert", object_id=str(alert.pk), changes=changes)
    return alert
