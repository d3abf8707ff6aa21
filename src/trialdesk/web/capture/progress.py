"""What comes next for a randomized participant, and who does it (issue 19, next steps).

The participant page (``trials``) says what is next before randomization; from randomization on
the answer depends on what data capture holds (the treatment's form, the schedule's next visit,
a death or a withdrawal), so it is decided here, from the schedule's one rule
(``capture.schedule``), and the page reads it through the ``participant_next_step`` tag.

Blinding: the pharmacy's timings sort participants by arm (one product takes longer to prepare
than the other; see ``trials.audit_trail``), so whether a kit is dispensed yet is told only to a
viewer who may see this participant's arm. Every other viewer reads the same step from
randomization until the treatment given is recorded on its form, whatever the pharmacy did; nothing
else here reads a kit, a dispensing or an arm.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from trialdesk.protocol.consent import FOLLOW_UP, TREATMENT, stops
from trialdesk.protocol.visit_state import OPEN_STATUSES, next_visit
from trialdesk.web.amendments.versions import protocol_for_site
from trialdesk.web.capture.models import Discontinuation, FormInstance
from trialdesk.web.capture.schedule import participant_schedule
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.trials import presenters
from trialdesk.web.trials.access import may_see_arm
from trialdesk.web.trials.consent_state import withdrawal
from trialdesk.web.trials.kits import assigned_kit, assigned_kit_code
from trialdesk.web.trials.models import Participant
from trialdesk.web.trials.presenters import participant_status

ENTER_FORMS, DISPENSE, LOCK = "enter_forms", "record_dispensing", "lock"
# visits whose data are still to come (a visit begun but incomplete included)
PENDING = frozenset(OPEN_STATUSES)
# a closing record (the end of study) stays asked for after its window, however late
CLOSING_PENDING = PENDING | {"missed"}


def participant_next_step(actor: Actor, participant: Participant, language: str
                          ) -> dict[str, Any]:
    """The participant's stage, what comes next and who does it (``presenters.step``)."""
    status = participant_status(participant)
    if status != "randomized":
        if status == "consented" and withdrawal(participant) is not None:
            return presenters.step(actor, "withdrawn", _(
                "Withdrawn before randomization: not to be randomized, nothing more to do."),
                None, language)
        return presenters.next_step(actor, status, language)
    protocol = protocol_for_site(participant.site.code)
    schedule = participant_schedule(participant, protocol.visits, today=clock.today())
    ended = _ended(participant)
    if ended is not None:
        return _after_follow_up(actor, ended, schedule, language)
    treatment_visit = _treatment_visit(protocol, schedule)
    if (treatment_visit is not None and not _treatment_recorded(participant, protocol)
            and _treated(participant)):
        return _before_treatment(actor, participant, treatment_visit, protocol, language)
    coming = next_visit([visit.scheduled for visit in schedule])
    if coming is not None:
        title = _title(protocol, coming.code, language)
        return presenters.step(actor, "follow_up", _(
            "In follow-up. Next: %(visit)s (%(status)s), on %(date)s.") % {
            "visit": title, "status": _status(coming.status), "date": _date(coming.target)},
            ENTER_FORMS, language)
    missing = _incomplete(protocol, schedule, language)
    if missing:
        return presenters.step(actor, "follow_up", _(
            "Visits over. Next: the forms still missing at %(visits)s.") % {"visits": missing},
            ENTER_FORMS, language)
    return presenters.step(actor, "completed", _(
        "Follow-up completed. Next: lock the participant's data once every form is signed."),
        LOCK, language)


def _ended(participant: Participant) -> str | None:
    """``died`` or ``withdrawn`` if follow-up ended (a death or discontinuation recorded, or a
    withdrawal of consent from follow-up visits or more), else None."""
    left = Discontinuation.objects.filter(participant=participant).values_list(
        "kind", flat=True).first()
    if left == Discontinuation.DIED:
        return "died"
    if left == Discontinuation.WITHDREW:
        return "withdrawn"
    found = withdrawal(participant)
    return "withdrawn" if found is not None and stops(found.level, FOLLOW_UP) else None


def _treated(participant: Participant) -> bool:
    """False after a withdrawal from treatment: the treatment forms take no more data."""
    found = withdrawal(participant)
    return found is None or not stops(found.level, TREATMENT)


def _after_follow_up(actor: Actor, ended: str, schedule: list, language: str
                     ) -> dict[str, Any]:
    """A participant who died or withdrew: the closing record still expected, if any (the
    schedule keeps it for a death or a discontinuation, not after a withdrawal of consent),
    else the lock."""
    headline = (_("Died: no further visits.") if ended == "died"
                else _("Withdrawn: no further visits."))
    closing = [visit for visit in schedule if visit.scheduled.closing_only
               and visit.status in CLOSING_PENDING and _forms_missing(visit)]
    if closing:
        names = ", ".join(visit.visit.title.text(language) for visit in closing)
        return presenters.step(actor, ended, headline + " " + _(
            "Next: the closing record at %(visits)s.") % {"visits": names}, ENTER_FORMS,
            language)
    return presenters.step(actor, ended, headline + " " + _(
        "Next: lock the participant's data once every form is signed."), LOCK, language)


def _treatment_visit(protocol: Any, schedule: list) -> Any:
    """The scheduled visit of the form that records the kit given (a ``kit_label`` field),
    while it is still to come; None when the protocol has none or the visit is past."""
    forms = _kit_forms(protocol)
    return next((visit for visit in schedule if visit.status in PENDING
                 and any(form.code in forms for form in visit.forms)), None)


def _kit_forms(protocol: Any) -> set[str]:
    return {form.code for form in protocol.forms
            if any(getattr(field, "kit_label", False) for field in form.fields)}


def _treatment_recorded(participant: Participant, protocol: Any) -> bool:
    return FormInstance.objects.filter(participant=participant,
                                       form__in=_kit_forms(protocol)).exists()


def _before_treatment(actor: Actor, participant: Participant, visit: Any, protocol: Any,
                      language: str) -> dict[str, Any]:
    at_visit = _kit_forms(protocol) & {form.code for form in visit.forms}
    names = {"visit": visit.visit.title.text(language),
             "form": next(form.title.text(language) for form in protocol.forms
                          if form.code in at_visit)}
    if may_see_arm(actor, participant):
        kit = assigned_kit(participant)
        if not hasattr(kit, "dispensing"):
            return presenters.step(actor, "awaiting_dispensing", _(
                "Next: dispense kit %(kit)s.") % {"kit": assigned_kit_code(participant)},
                DISPENSE, language)
        return presenters.step(actor, "dispensed", _(
            "Kit dispensed. Next: the treatment, recorded on the form %(form)s at %(visit)s.")
            % names, ENTER_FORMS, language)
    # blinded: the same words whether the kit is dispensed yet or not (module docstring)
    return presenters.step(actor, "randomized", _(
        "Next: the treatment once the pharmacy has dispensed the kit, recorded on the form "
        "%(form)s at %(visit)s.") % names, ENTER_FORMS, language)


def _incomplete(protocol: Any, schedule: list, language: str) -> str:
    """The visits that took place or are late whose forms are not all complete, and a missed
    visit's closing record (the end of study is asked for however late), by title."""
    return ", ".join(
        visit.visit.title.text(language) for visit in schedule if _forms_missing(visit) and (
            visit.status in ("due", "overdue")
            or (visit.status == "missed" and visit.visit.closing_forms)))


def _forms_missing(visit: Any) -> bool:
    return any(form.status in ("not_started", "draft") for form in visit.forms)


def _title(protocol: Any, code: str, language: str) -> str:
    visit = next((v for v in protocol.visits if v.code == code), None)
    return visit.title.text(language) if visit is not None else code


def _status(code: str) -> str:
    from trialdesk.web.capture.templatetags.capture import capture_label

    return capture_label(code)


def _date(day: dt.date) -> str:
    """A date as the reader's language writes it."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")
