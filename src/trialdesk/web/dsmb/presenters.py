"""What each role is shown of the DSMB's records: closed reports and the stopping rule's counts
only to the unblinded DSMB (``unblinded_reports``); to every other role, no trace of them."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _

from trialdesk.blinding import Permission
from trialdesk.safety import boundary
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb.models import Meeting, Report, ReportJob, SafetySignal
from trialdesk.web.trials.models import DsmbRecommendation

# the sponsor's responses in the reader's language (the stored choices' labels are the API's
# English); the decisions' words are trials.models.DECISION_LABELS
RESPONSE_LABELS = {"accepted": _("Accepted"), "accepted_with_changes": _("Accepted with changes"),
                   "not_accepted": _("Not accepted")}

# who reads the meetings, their open reports and recommendations (decisions only)
MEETING_READERS = (Permission.UNBLINDED_REPORTS, Permission.RECOMMEND,
                   Permission.RESPOND_RECOMMENDATION)
CLOSED_READERS = (Permission.UNBLINDED_REPORTS,)


def sees_closed(actor: Actor) -> bool:
    return actor.can_any(CLOSED_READERS)


def visible_reports(actor: Actor):
    """The reports the actor may list: closed ones only for the DSMB."""
    reports = Report.objects.select_related("generated_by", "meeting")
    if not sees_closed(actor):
        reports = reports.filter(kind=Report.OPEN)
    return reports


def access_report(actor: Actor, report_id: int) -> Report:
    """The report if the actor may read it; NotFound alike for a closed one and a missing one."""
    report = visible_reports(actor).filter(pk=report_id).first()
    if report is None:
        raise NotFound(f"no DSMB report {report_id}")
    return report


def visible_jobs(actor: Actor):
    """The report jobs the actor may see: a closed report's only by those who read it."""
    jobs = ReportJob.objects.all()
    if not sees_closed(actor):
        jobs = jobs.filter(kind=Report.OPEN)
    return jobs


def access_job(actor: Actor, job_id: str) -> ReportJob:
    """The job if the actor may see it; NotFound alike for a closed report's, a missing one and
    an id that is none."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        key = None
    job = visible_jobs(actor).filter(pk=key).first() if key else None
    if job is None:
        raise NotFound("no such DSMB report job")
    return job


def access_meeting(meeting_id: int) -> Meeting:
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(f"no DSMB meeting {meeting_id}")
    return meeting


def report_view(report: Report, *, html: bool = False, language: str | None = None
                ) -> dict[str, Any]:
    """A generation: ``sha256`` is its reference-language document's, ``documents`` each
    language's; with ``html``, the document in ``language`` (the reference one by default)
    and ``language`` says which one that is; ``sha256_shown``, the hash of that one."""
    shown, text, digest = report.document(language or report.language)
    view = {"id": report.pk, "meeting": report.meeting_id, "kind": report.kind,
            "cutoff": report.cutoff.isoformat(), "sha256": report.sha256,
            "documents": report.hashes(), "language": shown, "sha256_shown": digest,
            "generated_by": report.generated_by.get_username(),
            "generated_at": report.generated_at.isoformat()}
    if html:
        view["html"] = text
    return view


def recommendation_view(actor: Actor, record: DsmbRecommendation) -> dict[str, Any]:
    signed = getattr(record, "signature", None)
    response = getattr(record, "sponsor_response", None)
    view: dict[str, Any] = {
        "id": record.pk, "decision": record.decision,
        "decision_label": record.get_decision_display(),
        "signed_by": signed.signed_by.get_username() if signed else None,
        "signed_at": signed.signed_at.isoformat() if signed else None,
        "meaning": signed.meaning if signed else None,
        "response": None if response is None else {
            "response": response.response, "text": response.text,
            "by": response.responded_by.get_username(),
            "at": response.responded_at.isoformat()},
    }
    if actor.can_any((Permission.RECOMMEND, Permission.UNBLINDED_REPORTS)):
        view["rationale"] = record.rationale
    return view


def meeting_view(actor: Actor, meeting: Meeting, language: str | None = None) -> dict[str, Any]:
    reports = visible_reports(actor).filter(meeting=meeting).order_by("pk")
    recommendations = DsmbRecommendation.objects.filter(
        signature__meeting=meeting).select_related(
        "signature__signed_by", "sponsor_response__responded_by").order_by("pk")
    return {"id": meeting.pk, "date": meeting.date.isoformat(), "kind": meeting.kind,
            "cutoff": meeting.cutoff.isoformat(), "attendees": meeting.attendees,
            "reports": [report_view(report, language=language) for report in reports],
            "recommendations": [recommendation_view(actor, r) for r in recommendations]}


def boundary_view(actor: Actor) -> dict[str, Any]:
    """The protocol's rule and its table, fixed in advance: no trial data, for every role; the
    watched arm is named to roles that see arms only."""
    rule = get_protocol().safety_monitoring
    if rule is None:
        return {"declared": False}
    a, b = rule.prior
    table = boundary.boundary_table(a, b, rule.threshold, rule.cutoff, rule.max_n)
    view: dict[str, Any] = {"declared": True, "prior": [a, b], "threshold": rule.threshold,
            "cutoff": rule.cutoff, "max_n": rule.max_n,
            "toxicity": {"min_grade": rule.toxicity.min_grade,
                         "serious_related": rule.toxicity.serious_related},
            "table": [row.to_dict() for row in table]}
    if actor.policy.sees_any_arm(actor.role):
        view["watched_arm"] = rule.arm
    return view


def signals_view(actor: Actor) -> list[dict[str, Any]]:
    """When the DSMB was alerted; the counts only for the DSMB."""
    views = []
    for signal in SafetySignal.objects.order_by("pk"):
        if sees_closed(actor):
            views.append({"id": signal.pk, "at": signal.at.isoformat(),
                          "treated": signal.treated, "events": signal.events,
                          "probability": signal.probability})
        else:
            views.append({"alerted_on": signal.at.date().isoformat()})
    return views
