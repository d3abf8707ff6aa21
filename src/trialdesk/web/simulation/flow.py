"""One participant's path through the trial, as events on the timeline: screening, consent,
randomization, dispensing, every scheduled visit, adverse events, queries, signatures, and the end
of follow-up (completed, died, withdrew or lost). Every write is a ``do_*`` action."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from trialdesk.protocol.capture import Visit
from trialdesk.web.capture.access import LOG_VISIT, access_form_slot, protocol_form
from trialdesk.web.capture.actions import (
    do_answer_query,
    do_close_query,
    do_discontinue,
    do_mark_visit_not_done,
    do_raise_query,
    do_save_form,
)
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.models import COMPLETE, FormInstance, Query
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.simulation import consent, safety, signing
from trialdesk.web.simulation import nct04390152_model as model
from trialdesk.web.simulation.cast import Cast, SiteTeam
from trialdesk.web.simulation.outcomes import control_arm, draw_course
from trialdesk.web.simulation.timeline import Timeline
from trialdesk.web.simulation.values import finish
from trialdesk.web.trials import actions as trial_actions
from trialdesk.web.trials.models import Participant, Randomization

DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)
DECLINE = 0.04  # eligible patients whose representative declines
LATE_FORMS = 0.08  # visits whose forms are entered days late
NOT_DONE = 0.02  # intermediate visits that do not take place
MANUAL_QUERY = 0.04  # forms the data manager queries on review
ANSWER = "Checked against the source document: the value is correct."


@dataclass
class Tally:
    randomized: int = 0
    committed: int = 0  # consented, randomization pending or done
    evaluable: int = 0  # randomized with the protocol's efficacy outcome recorded (BOP2 looks)
    not_randomized: int = 0  # the stratum's list was used up
    first_randomization: dt.date | None = None
    last_randomization: dt.date | None = None


@dataclass
class Person:
    participant: Participant
    team: SiteTeam
    patient: model.Patient
    eligibility: dict[str, Any]
    randomized_at: dt.datetime | None = None
    kit_code: str = ""
    log_seq: dict[str, int] = field(default_factory=dict)


class Flow:
    """Schedules and runs every participant's events."""

    def __init__(self, timeline: Timeline, rng: random.Random, cast: Cast, *, effect: str,
                 target: int) -> None:
        self.timeline, self.rng, self.cast = timeline, rng, cast
        self.effect, self.target = effect, target
        self.tally = Tally()
        protocol = get_protocol()
        self.control = control_arm([(arm.code, arm.type) for arm in protocol.design.arms])
        self.visits = sorted(protocol.visits, key=lambda visit: visit.day)
        self.last_visit = self.visits[-1]
        self.log_forms = [code for code in model.log_forms() if protocol_form(code) is not None]
        # the sites whose investigator has a session due: the participants with forms to sign
        self.signing_due: dict[int, set[int]] = {}
        # the DSMB meets at the protocol's BOP2 looks, counted over all arms (pooled_looks); a
        # protocol without the rule gets a review at half and at full enrollment
        self.bop2 = protocol.bop2_monitoring
        self.reviews = ([] if self.bop2 is None
                        else self.bop2.pooled_looks(protocol.design.allocation_ratio))

    # --- screening to randomization ------------------------------------------------------
    def enrollment_open(self) -> bool:
        return self.tally.committed < self.target

    def arrive(self, team: SiteTeam) -> None:
        """A patient is screened at ``team``'s site; the eligible go on to consent."""
        patient = model.new_patient(self.rng)
        values, _ = model.screening_values(self.rng, patient)
        actor = team.coordinator if self.rng.random() < 0.5 else team.investigator
        participant = trial_actions.do_screen(actor, values=values)
        if not participant.eligible or self.rng.random() < DECLINE:
            return
        self.tally.committed += 1
        person = Person(participant, team, patient, values)
        self.timeline.after(HOUR * self.rng.uniform(1, 4), lambda: self._consent(person))

    def _consent(self, person: Person) -> None:
        trial_actions.do_consent(person.team.investigator, person.participant,
                                 **consent.consent_values(self.rng, person.participant.site.code))
        for visit in self.visits:
            if visit.day < 0:  # the screening visit's forms, entered as the patient is screened
                self._enter_visit(person, visit, day=visit.day)
        self.timeline.after(HOUR * self.rng.uniform(14, 22), lambda: self._randomize(person))

    def _randomize(self, person: Person) -> None:
        team = person.team
        try:
            result = trial_actions.do_randomize(team.investigator, person.participant,
                                                idempotency_key=f"sim-{person.participant.code}")
        except Conflict:
            self.tally.not_randomized += 1  # a stratum's list is used up
            return
        randomization = Randomization.objects.select_related("slot").get(
            participant=person.participant)
        # The simulator plays nature: it reads the arm of the slot (a table no blinded page
        # shows) only to draw the outcome a real patient would have. Nothing it writes carries
        # the arm except through the model's values, as a real treatment effect would.
        treated = self.effect == "realistic" and randomization.slot.arm != self.control
        person.patient.course = draw_course(self.rng, treated=treated,
                                            severe=person.patient.severe)
        person.randomized_at, person.kit_code = clock.now(), result.kit_code
        tally = self.tally
        tally.randomized += 1
        if self.bop2 is None and tally.randomized in {max(self.target // 2, 1), self.target}:
            label = ("Interim review at half enrollment" if tally.randomized < self.target
                     else "Review at the end of enrollment")
            self.timeline.after(DAY * 10, lambda: self._dsmb_meeting(label))
        today = clock.today()
        tally.first_randomization = tally.first_randomization or today
        tally.last_randomization = today
        if team.pharmacist is not None:
            slot, arm = randomization.slot, randomization.slot.arm
            # cells are thawed, washed and counted: they take longer to prepare than the placebo,
            # and their lots are their own; a side channel the blinding tests must find closed
            hours = self.rng.uniform(3, 5) if arm != self.control else self.rng.uniform(0.5, 2)
            self.timeline.after(HOUR * hours, lambda: trial_actions.do_dispense(
                team.pharmacist, slot, lot=f"{arm[:3].upper()}-{today:%Y%m}"))
        self._schedule_follow_up(person)
        consent.schedule_consent_events(self, person)  # capacity regained, withdrawals

    # --- follow-up -------------------------------------------------------------------------
    def _schedule_follow_up(self, person: Person) -> None:
        start, course, rng = person.randomized_at, person.patient.course, self.rng
        for visit in self.visits:
            if visit.day < 0:
                continue
            shift = 0
            if visit.day > 1 and rng.random() < 0.3:
                shift = rng.randint(-visit.window_before, visit.window_after)
            when = start + DAY * (visit.day + shift) + HOUR * rng.uniform(1, 6)
            self.timeline.at(when, lambda v=visit, d=visit.day + shift: self._visit(person, v, d))
        # a form holds no date after the day it is entered (the trial's clock): a medication is
        # entered once stopped, an event's resolution lies between its onset and its entry
        for index in range(rng.randint(2, 4)):
            values = model.medication_values(rng, start.date(), index)
            stopped = dt.date.fromisoformat(values["cm_stop_date"])
            when = dt.datetime.combine(stopped, dt.time(), tzinfo=start.tzinfo)
            self.timeline.at(when + HOUR * rng.uniform(10, 30), lambda v=values: self._log_form(
                person, "concomitant_medication", v))
        for _ in range(rng.choice([0, 0, 1, 1, 1, 2, 2, 3])):
            onset_day = rng.randint(1, 20)
            if not course.ended_by(onset_day + 1):
                onset, delay = start.date() + DAY * onset_day, rng.randint(1, 3)
                self.timeline.at(start + DAY * (onset_day + delay),
                                 lambda o=onset, d=delay: self._log_form(
                                     person, "adverse_event",
                                     model.adverse_event_values(rng, o, within=d)))
        # the ventilation record, entered once each episode ends (or follow-up does)
        for when, values in model.ventilation_episodes(rng, person.patient, start):
            self.timeline.at(when.replace(tzinfo=start.tzinfo), lambda v=values: self._log_form(
                person, "ventilation_episode", v))
        if course.death_day is not None:
            self.timeline.at(start + DAY * course.death_day + HOUR * rng.uniform(2, 20),
                             lambda: self._end(person, "died", course.death_day))
        elif course.withdrawal_day is not None:
            self.timeline.at(start + DAY * course.withdrawal_day + HOUR * 3,
                             lambda: self._end(person, "withdrew", course.withdrawal_day))

    def _visit(self, person: Person, visit: Visit, day: int) -> None:
        course = person.patient.course
        if course.ended_by(day) or course.death_day == day or course.withdrawal_day == day:
            return  # no visit after death or withdrawal
        if visit is self.last_visit:
            if course.death_day is None and course.withdrawal_day is None:
                self._enter_visit(person, visit, day=day)
            return
        if course.lost_after_day is not None and day > course.lost_after_day:
            return  # lost to follow-up: the visit is missed
        if visit.day > 1 and self.rng.random() < NOT_DONE:
            do_mark_visit_not_done(person.team.coordinator, person.participant, visit.code,
                                   reason="The patient was in radiology during the whole window.")
            return
        if self.rng.random() < LATE_FORMS:
            self.timeline.after(DAY * self.rng.randint(2, 9),
                                lambda: self._enter_visit(person, visit, day=day))
        else:
            self._enter_visit(person, visit, day=day)

    def _end(self, person: Person, kind: str, day: int) -> None:
        """Death or withdrawal: recorded, then the end-of-study form (and a fatal SAE)."""
        date = person.randomized_at.date() + DAY * day
        reason = ("Progressive respiratory failure." if kind == "died"
                  else "Consent withdrawn by the legal representative.")
        if kind == "withdrew":
            consent.withdraw(self.rng, person, date)
        do_discontinue(person.team.investigator, person.participant, kind=kind, date=date,
                       reason=reason)
        if kind == "died":
            self._log_form(person, "adverse_event",
                           model.adverse_event_values(self.rng, date, fatal=True))
        self._enter_visit(person, self.last_visit, day=day)

    # --- forms -------------------------------------------------------------------------------
    def _values(self, person: Person, form_code: str, day: int) -> dict[str, Any]:
        if person.patient.course is not None and form_code == model.END_OF_STUDY[1]:
            course = person.patient.course
            contact = course.lost_after_day or course.withdrawal_day or day
            return model.end_of_study_values(
                person.patient, person.randomized_at.date(),
                last_contact=person.randomized_at.date() + DAY * contact)
        return model.visit_values(self.rng, person.patient, form_code, day, clock.now(),
                                  person.kit_code, person.eligibility)

    def _enter_visit(self, person: Person, visit: Visit, *, day: int) -> None:
        team = person.team
        for form_code in visit.forms:
            values = self._values(person, form_code, day)
            actor = team.coordinator if self.rng.random() < 0.8 else team.investigator
            self._save(person, actor, visit.code, form_code, 1, values)

    def _log_form(self, person: Person, form_code: str, values: dict[str, Any]) -> None:
        if form_code not in self.log_forms:
            return
        seq = person.log_seq[form_code] = person.log_seq.get(form_code, 0) + 1
        if not self._save(person, person.team.coordinator, LOG_VISIT, form_code, seq, values):
            return
        if form_code == "adverse_event":
            self._report_safety(person, values)

    def _report_safety(self, person: Person, values: dict[str, Any]) -> None:
        reporter = person.team.coordinator
        event, due = safety.report_event(reporter, person.participant, values)
        if due is not None:
            when = dt.datetime.combine(due, dt.time(10), tzinfo=dt.UTC)
            self.timeline.at(max(when, clock.now() + HOUR),
                             lambda: safety.follow_up(reporter, event, values))

    def _save(self, person: Person, actor: Actor, visit_code: str, form_code: str, seq: int,
              values: dict[str, Any]) -> bool:
        """Enter a form; return False when the participant's consent no longer allows it."""
        slot = access_form_slot(actor, person.participant.code, visit_code, form_code, seq)
        now = clock.now()
        codes = [f.code for f in slot.form.fields] + [c.code for c in slot.form.checks]
        try:
            instance = do_save_form(actor, slot, values=finish(
                slot.form, values, self.rng, now,
                allow_missing=form_code not in model.NOTHING_LEFT_OUT), complete=True,
                confirm=codes)
        except FormRejected:  # a perturbed value broke a check: enter the clean values
            instance = do_save_form(actor, slot, complete=True, confirm=codes, values=finish(
                slot.form, values, self.rng, now, allow_outlier=False))
        except Conflict as refusal:  # withdrawn from treatment or from all further data
            if refusal.reason != "consent_withdrawn":
                raise
            return False
        if instance.status == COMPLETE:
            self._queue_signature(person)
        if self.bop2 is not None and form_code == self.bop2.efficacy.form:
            self._count_evaluable(instance)
        if any(warning["confirmed"] for warning in instance.warnings):  # auto queries opened
            for query in Query.objects.filter(form_instance=instance, status=Query.OPEN):
                self._schedule_answer(person, query)
        if self.rng.random() < MANUAL_QUERY and instance.values:
            self.timeline.after(DAY * self.rng.uniform(3, 10),
                                lambda: self._raise(person, instance))
        return True

    def _raise(self, person: Person, instance: FormInstance) -> None:
        field_code = self.rng.choice(sorted(instance.values))
        query = do_raise_query(self.cast.data_manager, instance, field=field_code,
                               text="Please check this value against the source document.")
        self._schedule_answer(person, query)

    def _schedule_answer(self, person: Person, query: Query) -> None:
        # Each looks at the query first, as its page shows it: it may have been closed meanwhile
        # (a value corrected at source data verification that no longer breaks an automatic
        # query's rule closes it; at 10,000 participants the data manager met one already closed)
        def answer() -> None:
            query.refresh_from_db()
            if query.status != Query.OPEN:
                return
            do_answer_query(person.team.coordinator, query, text=ANSWER)
            self.timeline.after(DAY * self.rng.uniform(1, 4), close)

        def close() -> None:
            query.refresh_from_db()
            if query.status != Query.CLOSED:
                do_close_query(self.cast.data_manager, query, text="Answer accepted.")
        self.timeline.after(DAY * self.rng.uniform(1, 6), answer)

    def _count_evaluable(self, instance: FormInstance) -> None:
        """One more participant with the efficacy outcome recorded; at a look's pooled count the
        DSMB is convened, ten days on (the data cut and the reports take that long)."""
        if instance.values.get(self.bop2.efficacy.field) is None:
            return
        self.tally.evaluable += 1
        if self.tally.evaluable in self.reviews:
            look = self.reviews.index(self.tally.evaluable) + 1
            label = (f"Review at look {look} of {len(self.reviews)} "
                     f"({self.tally.evaluable} participants with the day-28 outcome)")
            self.timeline.after(DAY * 10, lambda: self._dsmb_meeting(label))

    def _dsmb_meeting(self, label: str) -> None:
        dsmb = self.cast.approver
        safety.hold_meeting(dsmb, self.cast.sponsor, self.cast.passwords[dsmb.username],
                            label=label)

    # --- signatures ------------------------------------------------------------------------
    def _queue_signature(self, person: Person) -> None:
        """A complete form waits for the investigator's next weekly signing session.

        One password entry signs the session's whole worklist (``do_sign_forms``), as a signer
        at the bedside would: a signature costs a deliberately slow password check.
        """
        participant = person.participant
        due = self.signing_due.get(participant.site_id)
        if due is None:
            due = self.signing_due[participant.site_id] = set()
            self.timeline.after(DAY * self.rng.uniform(4, 8),
                                lambda: self._signing_session(person.team, participant.site_id))
        due.add(participant.pk)

    def _signing_session(self, team: SiteTeam, site_id: int) -> None:
        participants = self.signing_due.pop(site_id, set())
        signing.sign_session(team, self.cast.passwords, site_id, participants=participants)
