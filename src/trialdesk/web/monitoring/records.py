"""The records a monitor verifies, read from the tables of the apps that own them.

Five sources: a form entry (``capture.FormInstance``: the fields of its form in the protocol
version it was captured under, derived ones left out: they are computed, not transcribed), a
consent (``trials.Consent``), a screening record (``trials.ScreeningRecord``: the values
eligibility was decided on), a death or withdrawal (``capture.Discontinuation``) and an adverse
event of the safety database (``safety.AdverseEvent``). Each becomes a :class:`Record`: the core's
:class:`~trialdesk.monitoring.sdv_plan.Item`, the fields to verify, and their values now.

Only records that exist are verified; an expected form never entered is another lock check's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from trialdesk.monitoring.sdv_plan import (
    CONSENT,
    DISCONTINUATION,
    FORM,
    SAFETY_EVENT,
    SCREENING,
    Item,
    PlannedItem,
    site_shares,
)
from trialdesk.monitoring.sdv_plan import build_plan as core_plan
from trialdesk.protocol.monitoring import Monitoring
from trialdesk.safety import rules
from trialdesk.web.amendments.versions import FIRST, protocol_version
from trialdesk.web.capture.models import Discontinuation, FormInstance, Query
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.monitoring.plan_seed import plan_seed
from trialdesk.web.safety.models import AdverseEvent
from trialdesk.web.trials.models import Consent, Participant, ScreeningRecord

SOURCES = (FORM, CONSENT, SCREENING, DISCONTINUATION, SAFETY_EVENT)
DISCONTINUATION_FIELDS = ("kind", "date", "reason")
CONSENT_FIELDS = ("consent_date", "form_version")
EVENT_FIELDS = ("term", "onset_date", "end_date", "grade", *rules.SERIOUSNESS_CRITERIA,
                "relatedness", "expectedness", "action_taken", "outcome")


@dataclass(frozen=True)
class Record:
    """One verifiable record: its plan item, the fields to verify, their values, and ``ref``,
    what its URL names (a form entry's or an event's number, a participant's code)."""

    item: Item
    fields: tuple[str, ...]
    values: dict[str, Any]
    ref: str
    participant_id: int
    site_id: int


def _plain(value: Any) -> Any:
    # dates as the API writes them, so that a value's hash is the same however it was read
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def form_fields(form_code: str, version: int = FIRST) -> tuple[str, ...]:
    """The fields a monitor verifies on a ``form_code`` entry captured under protocol
    ``version`` (issue 17: a field an amendment adds is verified on the entries that have it)."""
    form = next((f for f in protocol_version(version).forms if f.code == form_code), None)
    if form is None:
        return ()
    return tuple(field.code for field in form.fields if field.derived is None)


class _FieldsByVersion(dict):
    """(form, version) -> its fields, read once per call over many entries (each version's
    lookup asks the database)."""

    def __missing__(self, key: tuple[str, int]) -> tuple[str, ...]:
        self[key] = form_fields(*key)
        return self[key]


def _form_record(instance: FormInstance, fields_of: _FieldsByVersion | None = None) -> Record:
    participant = instance.participant
    return _form_row_record(
        (instance.pk, instance.visit, instance.form, instance.seq, instance.protocol_version,
         instance.values, participant.pk, participant.code, participant.site.code,
         participant.site_id),
        fields_of if fields_of is not None else _FieldsByVersion())


# a form entry's record, read as one plain row (``_form_records``)
_FORM_ROW = ("pk", "visit", "form", "seq", "protocol_version", "values", "participant_id",
             "participant__code", "participant__site__code", "participant__site_id")


def _form_row_record(row: tuple[Any, ...], fields_of: _FieldsByVersion) -> Record:
    pk, visit, form, seq, version, values, participant_id, code, site_code, site_id = row
    item = Item(FORM, code, site_code, visit, form, seq, values=dict(values))
    fields = fields_of[(form, version)]
    return Record(item, fields, {name: values.get(name) for name in fields}, str(pk),
                  participant_id, site_id)


def _form_records(forms: Any, fields_of: _FieldsByVersion) -> list[Record]:
    """The records of the form entries of ``forms`` (a FormInstance queryset), read as rows: a
    site's or the whole trial's entries are most of its records, and loading each as three model
    instances (entry, participant, site) was most of a monitoring visit's CPU (issue 13)."""
    return [_form_row_record(row, fields_of) for row in forms.values_list(*_FORM_ROW)]


def _consent_record(consent: Consent) -> Record:
    participant = consent.participant
    values = {name: _plain(getattr(consent, name)) for name in CONSENT_FIELDS}
    return Record(Item(CONSENT, participant.code, participant.site.code), CONSENT_FIELDS, values,
                  participant.code, participant.pk, participant.site_id)


def _screening_record(screening: ScreeningRecord) -> Record:
    participant = screening.participant
    fields = tuple(sorted(screening.values))
    return Record(Item(SCREENING, participant.code, participant.site.code), fields,
                  {name: screening.values.get(name) for name in fields}, participant.code,
                  participant.pk, participant.site_id)


def _discontinuation_record(ended: Discontinuation) -> Record:
    participant = ended.participant
    values = {name: _plain(getattr(ended, name)) for name in DISCONTINUATION_FIELDS}
    item = Item(DISCONTINUATION, participant.code, participant.site.code, values=values,
                death=ended.kind == Discontinuation.DIED)
    return Record(item, DISCONTINUATION_FIELDS, values, participant.code, participant.pk,
                  participant.site_id)


def _event_record(event: AdverseEvent) -> Record:
    participant = event.participant
    values = {name: _plain(getattr(event, name)) for name in EVENT_FIELDS}
    item = Item(SAFETY_EVENT, participant.code, participant.site.code, seq=event.pk,
                values=values, serious=rules.is_serious(event.criteria), death=event.death)
    return Record(item, EVENT_FIELDS, values, str(event.pk), participant.pk, participant.site_id)


def records(*, participant: Participant | None = None, form_instance: FormInstance | None = None,
            site_code: str | None = None) -> list[Record]:
    """Every verifiable record, or those of one participant, one form entry, or one site."""
    forms = FormInstance.objects.all()
    consents = Consent.objects.select_related("participant__site")
    events = AdverseEvent.objects.select_related("participant__site")
    screenings = ScreeningRecord.objects.select_related("participant__site")
    endings = Discontinuation.objects.select_related("participant__site")
    if form_instance is not None:
        return _form_records(forms.filter(pk=form_instance.pk), _FieldsByVersion())
    if participant is not None:
        forms, consents, events = (forms.filter(participant=participant),
                                   consents.filter(participant=participant),
                                   events.filter(participant=participant))
        screenings = screenings.filter(participant=participant)
        endings = endings.filter(participant=participant)
    if site_code is not None:
        forms, consents, events = (forms.filter(participant__site__code=site_code),
                                   consents.filter(participant__site__code=site_code),
                                   events.filter(participant__site__code=site_code))
        screenings = screenings.filter(participant__site__code=site_code)
        endings = endings.filter(participant__site__code=site_code)
    found = [_consent_record(c) for c in consents]
    found += [_screening_record(s) for s in screenings]
    found += [_discontinuation_record(d) for d in endings]
    fields_of = _FieldsByVersion()
    found += _form_records(forms, fields_of)
    found += [_event_record(e) for e in events]
    return sorted(found, key=lambda record: (record.item.participant, record.item.key))


def record(source: str, ref: str) -> Record | None:
    """The record ``source``/``ref`` names, or None (no such record, or a malformed name)."""
    if source == CONSENT:
        consent = Consent.objects.select_related("participant__site").filter(
            participant__code=ref).first()
        return _consent_record(consent) if consent is not None else None
    if source == SCREENING:
        screening = ScreeningRecord.objects.select_related("participant__site").filter(
            participant__code=ref).first()
        return _screening_record(screening) if screening is not None else None
    if source == DISCONTINUATION:
        ended = Discontinuation.objects.select_related("participant__site").filter(
            participant__code=ref).first()
        return _discontinuation_record(ended) if ended is not None else None
    if not ref.isdigit() or len(ref) > 18:
        return None
    if source == FORM:
        instance = FormInstance.objects.select_related("participant__site").filter(
            pk=int(ref)).first()
        return _form_record(instance) if instance is not None else None
    if source == SAFETY_EVENT:
        event = AdverseEvent.objects.select_related("participant__site").filter(
            pk=int(ref)).first()
        return _event_record(event) if event is not None else None
    return None


def reread(found: list[Record]) -> list[Record]:
    """``found`` as stored now, in the same order (a value may have changed since it was read);
    one that is gone stays as it was read, as :func:`record`'s callers keep it. The records of
    each source are read together (a visit verifies hundreds; one query each was a third of
    ``do_verify_records``' CPU, issue 13), each as :func:`record` reads it."""
    refs: dict[str, set[str]] = defaultdict(set)
    for rec in found:
        refs[rec.item.source].add(rec.ref)
    now: dict[tuple[str, str], Record] = {}
    for source, named in refs.items():
        for rec in _records_named(source, sorted(named)):
            now[(source, rec.ref)] = rec
    return [now.get((rec.item.source, rec.ref), rec) for rec in found]


def _records_named(source: str, refs: list[str]) -> list[Record]:
    """The records of ``source`` whose refs are in ``refs`` (those that exist), read in chunks
    (SQLite's limit of bound parameters)."""
    if source in (CONSENT, SCREENING, DISCONTINUATION):
        model, build = {CONSENT: (Consent, _consent_record),
                        SCREENING: (ScreeningRecord, _screening_record),
                        DISCONTINUATION: (Discontinuation, _discontinuation_record)}[source]
        rows = model.objects.select_related("participant__site")
        return [build(row) for start in range(0, len(refs), 500)
                for row in rows.filter(participant__code__in=refs[start:start + 500])]
    keys = sorted(int(ref) for ref in refs if ref.isdigit() and len(ref) <= 18)
    chunks = [keys[start:start + 500] for start in range(0, len(keys), 500)]
    if source == FORM:
        fields_of = _FieldsByVersion()
        return [rec for chunk in chunks
                for rec in _form_records(FormInstance.objects.filter(pk__in=chunk), fields_of)]
    if source == SAFETY_EVENT:
        events = AdverseEvent.objects.select_related("participant__site")
        return [_event_record(event) for chunk in chunks
                for event in events.filter(pk__in=chunk)]
    return []


def current_shares(plan: Monitoring) -> dict[str, float]:
    """Each site's sampled share now: queries raised per entered form decide the risk share."""
    # counted by the database: one row per site, not one per form
    forms = dict(FormInstance.objects.values_list("site__code").annotate(n=Count("pk"))
                 .order_by())
    queries = dict(Query.objects.values_list("site__code").annotate(n=Count("pk")).order_by())
    return site_shares(plan, forms, queries)


def planned(found: list[Record]) -> list[tuple[PlannedItem, Record]]:
    """The records of ``found`` that the protocol's plan verifies, with why (none without a
    ``[monitoring]`` section: a protocol without a plan asks for no verification)."""
    plan = get_protocol().monitoring
    if plan is None:
        return []
    by_key = {rec.item.key: rec for rec in found}
    chosen = core_plan(plan, [rec.item for rec in found], seed=plan_seed(),
                       shares=current_shares(plan))
    return [(item, by_key[item.item.key]) for item in chosen]
