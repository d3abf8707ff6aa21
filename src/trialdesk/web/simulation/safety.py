"""The demo's safety reporting and DSMB meetings, through the safety and DSMB actions.

Each adverse event entered on the log form is also reported to the safety database, as a site
reports it: serious ones are followed up until resolved, a death gets its death report. The DSMB
meets when half the participants are randomized and when enrollment ends: the open and closed
reports of the data cut, a signed recommendation to continue, the sponsor's response.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.dsmb.actions import (
    do_create_meeting,
    do_generate_report,
    do_respond_recommendation,
    do_sign_recommendation,
)
from trialdesk.web.dsmb.models import Meeting, Report, SponsorResponse
from trialdesk.web.safety.actions import do_record_follow_up, do_report_adverse_event
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.models import Participant

RELATEDNESS = {"unrelated": "not_related"}  # the log form's words -> the safety record's
DAY = dt.timedelta(days=1)


def safety_values(form: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The safety record of an adverse event entered on the log form, as known ``today``."""
    fatal = form.get("ae_outcome") == "fatal"
    serious = bool(form.get("ae_serious")) or fatal
    end = dt.date.fromisoformat(form["ae_resolution_date"]) if form.get(
        "ae_resolution_date") else None
    resolved = end is not None and end <= today and not serious
    values: dict[str, Any] = {
        "term": form["ae_term"], "onset_date": form["ae_onset_date"], "grade": form["ae_grade"],
        "relatedness": RELATEDNESS.get(form["ae_relatedness"], form["ae_relatedness"]),
        # serious events wait for the sponsor's assessment against the reference information
        "expectedness": "unknown" if serious else "expected",
        "outcome": "fatal" if fatal else "recovered" if resolved else "recovering",
        "investigator_aware_at": clock.now().isoformat(),
    }
    if fatal:
        values.update(death=True, end_date=form["ae_onset_date"])
    elif serious:
        values["hospitalization"] = True
    elif resolved:
        values["end_date"] = end.isoformat()
    return values


def report_event(actor: Actor, participant: Participant, form: dict[str, Any]
                 ) -> tuple[AdverseEvent, dt.date | None]:
    """Report the event; return it and the day its follow-up is due (None: nothing to follow)."""
    today = clock.today()
    event = do_report_adverse_event(actor, participant,
                                    values_in=safety_values(form, today))
    if event.death:
        return event, today + DAY
    if event.hospitalization and form.get("ae_resolution_date"):
        return event, max(dt.date.fromisoformat(form["ae_resolution_date"]), today) + DAY
    return event, None


def follow_up(actor: Actor, event: AdverseEvent, form: dict[str, Any]) -> None:
    """The death report of a fatal event, or the follow-up that closes a serious one."""
    if event.death:
        do_record_follow_up(actor, event, kind="death_report", outcome="fatal", resolved=True,
                            text="Death certificate: progressive respiratory failure in ARDS.")
        return
    do_record_follow_up(actor, event, kind="follow_up", outcome="recovered", resolved=True,
                        end_date=dt.date.fromisoformat(form["ae_resolution_date"]),
                        text="Discharged from the step-down unit; the event has resolved.")


def hold_meeting(dsmb: Actor, sponsor: Actor | None, password: str, *, label: str) -> Meeting:
    """A scheduled DSMB meeting on today's data cut (three days ago): both reports generated,
    the recommendation signed, the sponsor's response recorded."""
    today = clock.today()
    meeting = do_create_meeting(dsmb, date=today, kind=Meeting.SCHEDULED,
                                cutoff=today - 3 * DAY, attendees=f"DSMB members ({label})")
    for kind in (Report.OPEN, Report.CLOSED):
        do_generate_report(dsmb, meeting, kind=kind)
    signed = do_sign_recommendation(
        dsmb, meeting, decision="continue", password=password,
        rationale=f"{label}: no safety concern in the closed report; the trial continues as "
                  "planned.")
    if sponsor is not None:
        do_respond_recommendation(sponsor, signed.recommendation.pk,
                                  response=SponsorResponse.ACCEPTED,
                                  text="The sponsor accepts the recommendation to continue.")
    return meeting
