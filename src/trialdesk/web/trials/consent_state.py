"""Where a participant's consent stands, read from the consent and its event log (issue 17).

Nothing here writes: the actions in ``trials.actions.consent`` do. Data capture asks
:func:`refuse_form_entry` before a save and :func:`follow_up_ended` for its schedule; exports ask
:func:`data_use_flags`; the dashboard asks :func:`capacity_tasks` and
:func:`reconsent_tasks` (an amendment's new consent version, issue 17). Levels are nested
(``trialdesk.protocol.consent.LEVELS``): the strongest withdrawal or refusal counts, from its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db import connection

from trialdesk.protocol.consent import ALL_DATA, FOLLOW_UP, LEVELS, TREATMENT, ConsentRules, stops
from trialdesk.web.amendments.consent import consent_rules_for_site
from trialdesk.web.amendments.versions import FIRST, protocol_version, version_in_force
from trialdesk.web.core import clock, sql
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.models import Site
from trialdesk.web.trials.models import Consent, ConsentEvent, Participant

DEFAULT_CAPACITY_DAYS = 7


@dataclass(frozen=True)
class Withdrawal:
    """The strongest withdrawal (or refusal) of a participant: its level, date and data use."""

    level: str
    date: dt.date
    data_use: bool


@dataclass(frozen=True)
class CapacityTask:
    """Ask a participant who regained capacity for their own consent, by ``due``."""

    participant_id: int
    participant_code: str
    site_code: str
    capacity_regained_on: dt.date
    due: dt.date

    def overdue(self, today: dt.date) -> bool:
        """Return True once the protocol's deadline has passed."""
        return today > self.due


def _strongest(events: Iterable[ConsentEvent]) -> Withdrawal | None:
    found: Withdrawal | None = None
    for event in events:
        if event.kind not in (ConsentEvent.WITHDRAWN, ConsentEvent.REFUSED) or not event.level:
            continue
        # a refusal of data use, once given, stands whatever comes later
        data_use = bool(event.data_use) and (found is None or found.data_use)
        if found is None or LEVELS.index(event.level) > LEVELS.index(found.level):
            found = Withdrawal(event.level, event.date, data_use)
        elif found.data_use != data_use:
            found = Withdrawal(found.level, found.date, data_use)
    return found


def withdrawals(participant_ids: Iterable[int]) -> dict[int, Withdrawal]:
    """Return each participant's strongest withdrawal (participants without one are left out)."""
    by_participant: dict[int, list[ConsentEvent]] = {}
    for event in ConsentEvent.objects.filter(
            participant_id__in=list(participant_ids),
            kind__in=(ConsentEvent.WITHDRAWN, ConsentEvent.REFUSED)).order_by("pk"):
        by_participant.setdefault(event.participant_id, []).append(event)
    result = {}
    for pid, events in by_participant.items():
        strongest = _strongest(events)
        if strongest is not None:
            result[pid] = strongest
    return result


def withdrawal(participant: Participant) -> Withdrawal | None:
    """Return the participant's strongest withdrawal, if any.

    One statement of plain SQL (``core.sql``): data capture asks this before every form saved,
    and building the ORM's query cost more CPU than the rest of the check (issue 13).
    """
    with connection.cursor() as cursor:
        cursor.execute(_withdrawal_sql(), (participant.pk, ConsentEvent.WITHDRAWN,
                                           ConsentEvent.REFUSED))
        rows = cursor.fetchall()
    return _strongest(sql.instances(row, ConsentEvent)[0] for row in rows)


@cache
def _withdrawal_sql() -> str:
    e = ConsentEvent
    return (f"SELECT {sql.columns(e, 'e')} FROM {sql.table(e)} e "  # noqa: S608
            f"WHERE e.{sql.column(e, 'participant')} = %s "
            f"AND e.{sql.column(e, 'kind')} IN (%s, %s) ORDER BY e.{sql.column(e, 'id')}")


def follow_up_ended(participant_ids: Iterable[int]) -> dict[int, dt.date]:
    """Return the day visits stopped being expected, for participants withdrawn from them."""
    return {pid: w.date for pid, w in withdrawals(participant_ids).items()
            if stops(w.level, FOLLOW_UP)}


def data_use_flags(participant_ids: Iterable[int]) -> dict[int, bool]:
    """Return whether each participant's collected data may be used (True without withdrawal)."""
    ids = list(participant_ids)
    refused = {pid for pid, w in withdrawals(ids).items() if not w.data_use}
    return {pid: pid not in refused for pid in ids}


def refuse_form_entry(participant: Participant, form_code: str, *, new: bool,
                      answering_query: bool = False) -> None:
    """Raise Conflict if the participant's consent no longer allows this form's data.

    After a withdrawal from treatment, the protocol's treatment forms take no data. After a
    withdrawal from all further data collection, collection stops: no new form is begun and the
    forms are read-only. A value collected before the withdrawal may still be corrected in
    answer to an open query on its form (``answering_query``: the data manager's cleaning of
    data the participant allowed to be used), never when the participant refused the use of
    their data (nothing of it is analysed, so nothing of it is cleaned).
    """
    found = withdrawal(participant)
    if found is None:
        return
    rules = consent_rules_for_site(participant.site.code)  # an amendment may list other forms
    treatment_forms = rules.treatment_forms if rules is not None else []
    if stops(found.level, TREATMENT) and form_code in treatment_forms:
        raise Conflict("consent_withdrawn",
                       f"consent: {participant.code} withdrew from the study treatment on "
                       f"{found.date.isoformat()}; the form {form_code} takes no data")
    if not stops(found.level, ALL_DATA):
        return
    withdrew = (f"consent: {participant.code} withdrew from all further data collection on "
                f"{found.date.isoformat()}")
    if new:
        raise Conflict("consent_withdrawn", f"{withdrew}; no new form may be begun")
    if not found.data_use:
        raise Conflict("consent_withdrawn", f"{withdrew} and refused the use of their data; "
                                            "the forms are read-only")
    if not answering_query:
        raise Conflict("consent_withdrawn", f"{withdrew}; the forms are read-only: a value "
                                            "collected before may be corrected only in answer "
                                            "to a query on the form")


def signed_version(participant: Participant) -> str | None:
    """Return the consent version the participant (or LAR) last signed, None without consent."""
    latest = ConsentEvent.objects.filter(
        participant=participant, kind=ConsentEvent.RECONSENTED).order_by("-pk").first()
    if latest is not None:
        return latest.form_version
    consent = Consent.objects.filter(participant=participant).first()
    return consent.form_version if consent is not None else None


def capacity_tasks(site_code: str | None = None) -> list[CapacityTask]:
    """Return the open "ask for own consent" tasks (capacity regained, not yet confirmed or
    refused, nor withdrawn), soonest due first; ``site_code`` keeps one site's. The deadline
    is that of the consent rules in force at each participant's site (an amendment may change
    it)."""
    days_at: dict[str, int] = {}

    def deadline(site: str) -> int:
        if site not in days_at:
            rules = consent_rules_for_site(site)
            days_at[site] = (rules.capacity_confirmation_days if rules is not None
                             else DEFAULT_CAPACITY_DAYS)
        return days_at[site]

    events = ConsentEvent.objects.filter(kind__in=(
        ConsentEvent.CAPACITY_REGAINED, ConsentEvent.CONFIRMED, ConsentEvent.REFUSED,
        ConsentEvent.WITHDRAWN,
    )).select_related("participant__site").order_by("pk")
    if site_code is not None:
        events = events.filter(participant__site__code=site_code)
    open_tasks: dict[int, CapacityTask] = {}
    for event in events:
        pid = event.participant_id
        if event.kind == ConsentEvent.CAPACITY_REGAINED:
            site = event.participant.site.code
            open_tasks[pid] = CapacityTask(pid, event.participant.code, site, event.date,
                                           event.date + dt.timedelta(days=deadline(site)))
        else:
            open_tasks.pop(pid, None)
    return sorted(open_tasks.values(), key=lambda task: (task.due, task.participant_code))


# Days to obtain a re-consent after an amendment changed the consent document at a site: the
# protocol's ``[consent] reconsent_days`` (``trialdesk.protocol.consent``), whose default this is
DEFAULT_RECONSENT_DAYS = ConsentRules.model_fields["reconsent_days"].default


@dataclass(frozen=True)
class ReconsentTask:
    """Ask a participant still in follow-up to sign the consent version now in force, by
    ``due``."""

    participant_id: int
    participant_code: str
    site_code: str
    signed_version: str | None
    version: str
    since: dt.date  # the day the version took effect at the site
    due: dt.date

    def overdue(self, today: dt.date) -> bool:
        """Return True once the deadline has passed."""
        return today > self.due


def _follow_up_end(randomized_on: dt.date, visits: Iterable[object]) -> dt.date:
    last = max(((v.day + v.window_after) for v in visits), default=0)  # type: ignore[attr-defined]
    return randomized_on + dt.timedelta(days=last)


def reconsent_tasks(site_code: str | None = None) -> list[ReconsentTask]:
    """Return the open re-consent tasks, soonest due first; ``site_code`` keeps one site's.

    At each site working under an amended protocol whose consent document in force is not the
    one the trial started with, every participant still in follow-up (consented and eligible,
    not discontinued nor withdrawn from follow-up, follow-up not over when the version took
    effect) whose last signature is on another version has a task; it clears when they sign the
    version in force (``do_reconsent``).
    """
    today = clock.today()
    codes = [site_code] if site_code is not None else list(
        Site.objects.order_by("code").values_list("code", flat=True))
    tasks: list[ReconsentTask] = []
    for code in codes:
        number = version_in_force(code)
        rules = consent_rules_for_site(code) if number != FIRST else None
        current = rules.current_version(code, today) if rules is not None else None
        first_rules = protocol_version(FIRST).consent
        first = first_rules.current_version(code, today) if first_rules is not None else None
        if current is None or (first is not None and first.version == current.version):
            continue
        since = current.approved_on(code) or today
        days = rules.reconsent_days  # the rules in force at the site (an amendment's)
        visits = protocol_version(number).visits
        # a death or discontinuation (data capture's record, named by its reverse relation:
        # data capture builds on this module) ends follow-up
        people = list(Participant.objects.filter(
            site__code=code, eligible=True, consent__isnull=False,
            discontinuation__isnull=True,
        ).select_related("randomization").order_by("code"))
        ended = follow_up_ended(p.pk for p in people)
        for person in people:
            if person.pk in ended:
                continue
            randomization = getattr(person, "randomization", None)
            if randomization is not None and _follow_up_end(
                    randomization.randomized_at.date(), visits) < since:
                continue
            signed = signed_version(person)
            if signed == current.version:
                continue
            tasks.append(ReconsentTask(person.pk, person.code, code, signed, current.version,
                                       since, since + dt.timedelta(days=days)))
    return sorted(tasks, key=lambda task: (task.due, task.participant_code))
