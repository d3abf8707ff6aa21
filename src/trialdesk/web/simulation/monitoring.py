"""Monitoring in the simulated trial (issue 16): each site is visited at the protocol's interval,
the planned records verified against the source through the monitoring actions.

A visit is planned ten days ahead, then done by the demo's monitor: every record of the site's
verification plan not verified yet (or changed since) is verified; in a few form entries the
monitor finds a value that differs from the source and marks it "needs correction", which raises
a query (``do_verify``); the site answers it with the corrected value, the data manager closes it,
and the next visit verifies the corrected value. Some visits record a finding with an action item,
closed at the next visit; each visit done leaves its follow-up letter in ``monitoring-letters/``.
A close-out round before the database lock verifies what is left, so the lock checklist's
``unverified_sdv`` check finds little or nothing.

The monitor is blinded and so is this module: which records are verified comes from the plan,
whose draws name no arm, and nothing here reads an allocation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trialdesk.monitoring.sdv_plan import FORM
from trialdesk.monitoring.verification import NEEDS_CORRECTION, NOT_VERIFIED, VERIFIED
from trialdesk.protocol.capture import NUMERIC_TYPES, FormField
from trialdesk.protocol.censored import is_censored
from trialdesk.web.capture.access import access_form_slot, protocol_form
from trialdesk.web.capture.actions import do_answer_query, do_close_query
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.models import FormInstance, Query
from trialdesk.web.core import clock
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.monitoring import actions, letter
from trialdesk.web.monitoring.models import ActionItem, MonitoringVisit
from trialdesk.web.monitoring.plan_seed import SEED_FILE, write_seed_once
from trialdesk.web.monitoring.records import Record, records
from trialdesk.web.monitoring.status import RecordState, states
from trialdesk.web.simulation.cast import Cast, SiteTeam
from trialdesk.web.simulation.timeline import Timeline
from trialdesk.web.trials.models import Participant

DAY, WEEK = dt.timedelta(days=1), dt.timedelta(days=7)
LEAD = DAY * 10  # a visit is planned this long before it takes place
WRONG = 0.10  # form entries in which a value differs from the source (~1% of fields)
CONFIRMED = 0.15  # of those, the site finds the entry right after all (no correction)
WITH_FINDING = 0.35  # visits that record a finding (and an action item)
REMOTE = 0.25  # visits done remotely
LETTERS = "monitoring-letters"
FINDINGS = (
    ("source_documents", "minor", "Vital signs of two visits were transcribed from the nursing "
     "notes instead of the ICU flowsheet the site named as their source.",
     "File a note to file naming the source of the vital signs; use the ICU flowsheet."),
    ("data_quality", "minor", "Several forms were entered more than a week after their visit.",
     "Enter each visit's forms within three working days."),
    ("consent", "minor", "A copy of a signed consent form was missing from the site binder.",
     "File the copy of the signed consent form in the investigator site file."),
    ("facilities", "minor", "The temperature log of the study storage room had a two-day gap.",
     "Complete the temperature log daily and document the gap in a note to file."),
    ("safety_reporting", "major", "A serious adverse event reached the sponsor after more than "
     "24 hours.", "Retrain the site staff on the 24-hour reporting of serious adverse events."),
)


def demo_plan_seed(data_dir: Path, seed: int) -> None:
    """The demo's plan seed comes from ``--seed``, like its allocation seed, so that the same
    seed gives the same trial. A real server makes 256 random bits once (``plan_seed``)."""
    digest = hashlib.sha256(f"trialdesk-demo-sdv-plan\n{seed}".encode()).hexdigest()
    write_seed_once(data_dir / SEED_FILE, digest)


class SiteMonitoring:
    """The monitoring visits of every site of a simulated trial, as events on its timeline."""

    def __init__(self, timeline: Timeline, cast: Cast, data_dir: Path, seed: int) -> None:
        self.timeline, self.cast, self.data_dir = timeline, cast, data_dir
        self.rng = random.Random(f"monitoring-{seed}")  # noqa: S311 - synthetic data
        self.plan = get_protocol().monitoring
        self.pending = 0  # this module's events on the timeline
        demo_plan_seed(data_dir, seed)

    @property
    def active(self) -> bool:
        return self.plan is not None and self.cast.monitor is not None

    def start(self) -> None:
        """Each site's first visit is planned one interval into the trial (a few days apart)."""
        if not self.active:
            return
        first = self.timeline.clock.now() + DAY * self.plan.visit_interval_days - LEAD
        for site in self.cast.sites:
            due = first + DAY * self.rng.uniform(0, 10)
            self._queue(min(due, clock.now() + WEEK), lambda s=site, d=due: self._tick(s, d))

    def _queue(self, when: dt.datetime, run: Callable[[], None]) -> None:
        self.pending += 1

        def event() -> None:
            self.pending -= 1
            run()
        self.timeline.at(when, event)

    def _trial_goes_on(self) -> bool:
        # other events queued: participants in follow-up or still arriving
        return len(self.timeline) > self.pending

    def _tick(self, site: str, due: dt.datetime) -> None:
        """A weekly look at the calendar until the site's next visit is due to be planned.

        Weekly rather than one event at the due date: an event queued weeks ahead would carry the
        trial's clock past its last participant's last visit, delaying the close-out and the lock.
        """
        if not self._trial_goes_on():
            return  # the close-out round before the lock takes over
        if clock.now() < due or not Participant.objects.filter(site__code=site).exists():
            wait = due if clock.now() < due else clock.now() + WEEK  # (no participant yet)
            self._queue(min(wait, clock.now() + WEEK), lambda: self._tick(site, due))
            return
        visit = self._plan(site, clock.today() + LEAD)
        self._queue(clock.now() + LEAD, lambda: self._visit(visit, next_cycle=True))

    def _plan(self, site: str, when: dt.date, kind: str | None = None) -> MonitoringVisit:
        kind = kind or (MonitoringVisit.REMOTE if self.rng.random() < REMOTE
                        else MonitoringVisit.ON_SITE)
        return actions.do_plan_visit(self.cast.monitor, site_code=site, kind=kind,
                                     planned_date=when)

    # --- a visit ------------------------------------------------------------------------------
    def _visit(self, visit: MonitoringVisit, *, next_cycle: bool = False,
               errors: bool = True) -> int:
        """Verify the site's outstanding planned records; return how many need correction."""
        monitor, site = self.cast.monitor, visit.site.code
        self._close_action_items(site)
        outstanding = [s for s in states(records(site_code=site), rows=False)
                       if s.state != VERIFIED]
        corrections, right = 0, []
        for state in outstanding:
            corrections += self._verify(visit, state, right, errors=errors)
        if right:  # the records found right, verified together
            actions.do_verify_records(monitor, visit, right)
        findings = 0
        if errors and self.rng.random() < WITH_FINDING:
            findings = 1
            self._finding(visit)
        summary = (f"{len(outstanding)} records of the verification plan checked against the "
                   f"source documents; {corrections} value(s) to correct (queries raised); "
                   f"{findings} finding(s).")
        visit = actions.do_update_visit(monitor, visit, status=MonitoringVisit.DONE,
                                        done_date=clock.today(), summary=summary)
        self._letter(visit)
        if next_cycle:
            due = clock.now() + DAY * self.plan.visit_interval_days - LEAD
            self._queue(min(due, clock.now() + WEEK), lambda: self._tick(site, due))
        return corrections

    def _verify(self, visit: MonitoringVisit, state: RecordState,
                right: list[tuple[Record, list[str]]], *, errors: bool) -> int:
        """Verify a record: one with a wrong value at once (its query raised), one found right
        added to ``right``; return 1 when a value needs correction."""
        rec, monitor = state.record, self.cast.monitor
        pending = [name for name, value in state.fields.items() if value != VERIFIED]
        marked = [name for name, value in state.fields.items() if value == NEEDS_CORRECTION]
        if marked and rec.item.source == FORM and Query.objects.filter(
                form_instance_id=int(rec.ref), field__in=marked, status=Query.OPEN).exists():
            return 0  # the site has not answered yet: verified once it has
        wrong = None
        if errors and state.state == NOT_VERIFIED and rec.item.source == FORM:
            wrong = self._wrong_field(rec) if self.rng.random() < WRONG else None
        fine = [name for name in pending if name != wrong]
        if wrong is None:
            if fine:
                right.append((rec, fine))
            return 0
        if fine:
            actions.do_verify(monitor, visit, rec, status=VERIFIED, fields=fine)
        actions.do_verify(monitor, visit, rec, status=NEEDS_CORRECTION, fields=[wrong],
                          comment="The value differs from the source document.")
        query = (Query.objects.filter(form_instance_id=int(rec.ref), field=wrong,
                                      status=Query.OPEN).order_by("-pk").first())
        team = self.cast.sites.get(rec.item.site)
        if query is not None and team is not None:
            self._queue(clock.now() + DAY * self.rng.uniform(1, 5),
                        lambda: self._answer(team, query, rec))
        return 1

    def _wrong_field(self, rec: Record) -> str | None:
        """A numeric value the monitor finds mistranscribed (one the site can correct)."""
        form = protocol_form(rec.item.form)
        if form is None:
            return None
        # not an assay's result: one near its limit of quantification is entered as "<LLOQ"
        numeric = [f.code for f in form.fields if f.type in NUMERIC_TYPES and f.derived is None
                   and f.lloq is None and f.uloq is None
                   and isinstance(rec.values.get(f.code), int | float)
                   and not isinstance(rec.values.get(f.code), bool)]
        return self.rng.choice(numeric) if numeric else None

    # --- the site's answer --------------------------------------------------------------------
    def _answer(self, team: SiteTeam, query: Query, rec: Record) -> None:
        """The coordinator corrects the value from the source (or finds it right after all)."""
        query.refresh_from_db()
        if query.status != Query.OPEN:
            return
        coordinator = team.coordinator
        instance = FormInstance.objects.select_related("participant").get(pk=query.form_instance_id)
        answered = False
        if self.rng.random() >= CONFIRMED:
            slot = access_form_slot(coordinator, instance.participant.code, instance.visit,
                                    instance.form, instance.seq)
            value = _corrected(slot.form.field(query.field), instance.values.get(query.field))
            codes = [f.code for f in slot.form.fields] + [c.code for c in slot.form.checks]
            if value is not None:
                try:
                    do_answer_query(coordinator, query, slot=slot, correction={query.field: value},
                                    reason="Transcription error found at source data "
                                           "verification.",
                                    text="Corrected from the source document.",
                                    confirm=tuple(codes))
                    answered = True
                except (FormRejected, InvalidInput, Conflict):
                    answered = False  # the corrected value broke a check: confirmed instead
        if not answered:
            do_answer_query(coordinator, query,
                            text="Checked again: the source document shows the value entered.")
        self._queue(clock.now() + DAY * self.rng.uniform(1, 3), lambda: self._close(query))

    def _close(self, query: Query) -> None:
        query.refresh_from_db()
        if query.status != Query.CLOSED:
            do_close_query(self.cast.data_manager, query, text="Answer accepted.")

    # --- findings, action items, letters ------------------------------------------------------
    def _finding(self, visit: MonitoringVisit) -> None:
        category, severity, text, action = self.rng.choice(FINDINGS)
        monitor = self.cast.monitor
        finding = actions.do_add_finding(monitor, visit, category=category, severity=severity,
                                         text=text)
        team = self.cast.sites.get(visit.site.code)
        owner = team.investigator.username if team is not None else visit.site.code
        actions.do_add_action_item(monitor, visit, text=action, owner=owner,
                                   due_date=clock.today() + DAY * 30, finding_id=finding.pk)

    def _close_action_items(self, site: str) -> None:
        for item in ActionItem.objects.filter(visit__site__code=site, status=ActionItem.OPEN,
                                              visit__status=MonitoringVisit.DONE).order_by("pk"):
            actions.do_update_action_item(self.cast.monitor, item, status=ActionItem.DONE,
                                          note="Checked at the next monitoring visit: done.")

    def _letter(self, visit: MonitoringVisit) -> None:
        folder = self.data_dir / LETTERS
        folder.mkdir(exist_ok=True)
        path = folder / f"visit-{visit.pk}-{visit.site.code}.html"
        path.write_text(letter.html(visit, "en"), encoding="utf-8")

    # --- close-out before the lock ------------------------------------------------------------
    def close_out(self, simulated: clock.SimulatedClock) -> None:
        """Before the database lock: a last visit at each site, the sites' corrections, and a
        remote visit to verify the corrected values."""
        if not self.active:
            return
        self.timeline.drop()  # any cycle still queued: the close-out replaces it
        self.pending = 0
        visits = [self._plan(site, clock.today() + DAY * 5, MonitoringVisit.ON_SITE)
                  for site in self.cast.sites]
        simulated.advance(DAY * 5)
        corrected = [visit.site.code for visit in visits if self._visit(visit)]
        self.timeline.run_until()  # the sites answer, the data manager closes
        if corrected:
            simulated.advance(DAY * 2)
            remote = [self._plan(site, clock.today(), MonitoringVisit.REMOTE)
                      for site in corrected]
            for visit in remote:
                self._visit(visit, errors=False)
        for site in self.cast.sites:
            self._close_action_items(site)


def _corrected(field: FormField | None, value: Any) -> float | int | None:
    """The value as the source shows it: one unit of its last digit away, within its range."""
    if field is None or is_censored(value) or not isinstance(value, int | float):
        return None
    places = 0 if field.type == "integer" else (1 if field.decimals is None else field.decimals)
    step = 10 ** -places
    low = field.range.min if field.range else None
    high = field.range.max if field.range else None
    for candidate in (value + step, value - step):
        candidate = round(candidate, places) if places else round(candidate)
        if (low is None or candidate >= low) and (high is None or candidate <= high):
            return candidate
    return None
