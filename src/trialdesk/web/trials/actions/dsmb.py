"""The DSMB's recommendations: recorded by the DSMB statistician after a meeting, audited.

The audit record names the decision and the meeting date, never the rationale: roles that read the
audit trail (administrator, monitor) are blinded, and a rationale may speak of the arms. For the
same reason the notification to the sponsor and the DSMB carries the decision only.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.dates import check_trial_date
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.outbox.mail import queue_translated_mail
from trialdesk.web.trials.models import DECISION_LABELS, DsmbRecommendation

RECORD_PERMISSION = "recommend"  # the DSMB statistician's
DECISIONS = tuple(code for code, _ in DsmbRecommendation.DECISIONS)
MIN_RATIONALE = 10


def _notify(recommendation: DsmbRecommendation, username: str) -> None:
    # Who, when and what was decided; never the rationale. Queued in the action's transaction
    # and sent by a retried task (outbox.mail), in each recipient's language.
    def compose() -> tuple[str, str]:
        decision = str(DECISION_LABELS.get(recommendation.decision,
                                           recommendation.get_decision_display()))
        facts = {"user": username, "decision": decision,
                 "date": date_format(recommendation.meeting_date, "DATE_FORMAT")}
        return (gettext("[trialdesk] DSMB recommendation: %(decision)s") % facts,
                gettext("%(user)s recorded the DSMB's recommendation of the meeting of "
                        "%(date)s: %(decision)s.\nThe rationale is available to the DSMB in the "
                        "trial server.\n") % facts)

    queue_translated_mail("dsmb_recommendation", compose, settings.TRIALDESK_NOTIFY_EMAILS)


@action(RECORD_PERMISSION)
def do_record_recommendation(
    actor: Actor, *, meeting_date: dt.date, decision: str, rationale: str
) -> DsmbRecommendation:
    """Record the DSMB's recommendation of one meeting (continue, modify, pause or stop).

    ``decision`` is one of :data:`DECISIONS`; ``rationale`` says why, in at least 10 characters;
    the meeting cannot lie in the future (a day of leeway for time zones ahead of UTC).
    """
    if decision not in DECISIONS:
        raise InvalidInput("decision", f"must be one of {', '.join(DECISIONS)}")
    rationale = rationale.strip()
    if len(rationale) < MIN_RATIONALE:
        raise InvalidInput("rationale", f"must say why, in at least {MIN_RATIONALE} characters")
    now = clock.now()
    check_trial_date("meeting_date", meeting_date, latest=now.date() + dt.timedelta(days=1))
    recommendation = DsmbRecommendation.objects.create(
        meeting_date=meeting_date, decision=decision, rationale=rationale,
        recorded_by=actor.user, recorded_at=now)
    append_audit(
        actor=actor.username, action="record_recommendation", model="dsmb_recommendation",
        object_id=str(recommendation.pk),
        changes={"decision": {"old": None, "new": decision},
                 "meeting_date": {"old": None, "new": meeting_date.isoformat()}},
    )
    _notify(recommendation, actor.username)
    return recommendation
