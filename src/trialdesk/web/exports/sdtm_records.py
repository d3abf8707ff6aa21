"""The SDTM export's records from the tables: subjects (one query per kind of record) and each
form's instances streamed in participant order, a chunk of participants at a time."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

from trialdesk.standards.sdtm.records import FormRecord, Subject
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.arms import arm_cells
from trialdesk.web.exports.formats import ExportContext
from trialdesk.web.trials.consent_state import data_use_flags
from trialdesk.web.trials.models import Consent, Randomization

CHUNK = 500  # participants per chunk: bounded memory whatever the trial's size
_DISPOSITION = {"died": "DEATH", "withdrew": "WITHDRAWAL BY SUBJECT"}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _values(form: str, visit: str | None = None) -> dict[str, dict[str, Any]]:
    instances = FormInstance.objects.filter(form=form, status=COMPLETE, seq=1)
    if visit is not None:
        instances = instances.filter(visit=visit)
    return {code: values or {} for code, values in instances.values_list(
        "participant__code", "values").iterator(chunk_size=2000)}


def subjects(context: ExportContext) -> list[Subject]:
    """Every randomized participant, in code order, with what DM, DS and EX need."""
    protocol = get_protocol()
    countries = {site.code: site.country for site in protocol.sites}
    cells = arm_cells(context)
    consents = dict(Consent.objects.values_list("participant__code", "consent_date"))
    end = _values("end_of_study", "day28")
    demographics = _values("demographics")
    infusion = _values("infusion")
    stopped = {code: (kind, day) for code, kind, day in Discontinuation.objects.values_list(
        "participant__code", "kind", "date")}
    randomizations = list(Randomization.objects.order_by("participant__code").values_list(
        "participant_id", "participant__code", "participant__site__code", "randomized_at",
        "slot__stratum"))
    data_use = data_use_flags(pid for pid, *_ in randomizations)
    found = []
    for pid, code, site, randomized_at, stratum in randomizations:
        eos = end.get(code, {})
        status = eos.get("vital_status_day28")
        death = _date(eos.get("death_date")) if status == "dead" else None
        kind, stopped_on = stopped.get(code, (None, None))
        if status == "dead" or kind == "died":
            death = death or stopped_on
            disposition = ("DEATH", death)
        elif kind in _DISPOSITION:
            disposition = (_DISPOSITION[kind], stopped_on)
        elif status == "alive":
            disposition = ("COMPLETED", _date(randomized_at) + dt.timedelta(days=28))
        elif status:
            disposition = ("LOST TO FOLLOW-UP", _date(eos.get("last_contact_date")))
        else:
            disposition = None
        infused = infusion.get(code, {})
        found.append(Subject(
            code=code, site=site, country=countries.get(site, ""),
            randomized_on=randomized_at.date(), consented_on=consents.get(code),
            arm=cells.get(code), stratum=stratum,
            infusion_start=str(infused.get("infusion_start") or ""),
            infusion_end=str(infused.get("infusion_end") or ""), death_on=death,
            disposition=disposition, last_on=disposition[1] if disposition else None,
            data_use="Y" if data_use.get(pid, True) else "N",
            sex=str(demographics.get(code, {}).get("sex") or "")))
    return found


_COLUMNS = ("participant__code", "visit", "form", "seq", "created_at", "protocol_version")


def _record(code: str, visit: str, form: str, seq: int, created: dt.datetime | None,
            version: int, *entered: Any) -> FormRecord:
    return FormRecord(code, visit, form, seq, (entered[0] or {}) if entered else {},
                      created.date() if created else None, version)


def form_records(forms: tuple[str, ...], codes: list[str], *,
                 values: bool = True) -> dict[str, list[FormRecord]]:
    """The complete instances of ``forms`` of the participants ``codes``, by participant
    (``values`` False: without the entered values, for what needs only visits and dates)."""
    instances = (FormInstance.objects.filter(form__in=forms, status=COMPLETE,
                                             participant__code__in=codes)
                 .order_by("participant__code", "created_at", "seq")
                 .values_list(*_COLUMNS, *(["values"] if values else [])))
    by_subject: dict[str, list[FormRecord]] = {}
    for code, *row in instances.iterator(chunk_size=2000):
        by_subject.setdefault(code, []).append(_record(code, *row))
    return by_subject


def form_stream(forms: tuple[str, ...], *,
                values: bool = True) -> Iterator[tuple[str, list[FormRecord]]]:
    """(participant code, their complete instances of ``forms``) of the randomized participants
    in the database's participant code order (that of ``subjects``), one query read as it goes:
    a participant's records at a time in memory."""
    instances = (FormInstance.objects.filter(form__in=forms, status=COMPLETE,
                                             participant__randomization__isnull=False)
                 .order_by("participant__code", "created_at", "seq")
                 .values_list(*_COLUMNS, *(["values"] if values else [])))
    rows = instances.iterator(chunk_size=2000)
    for code, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield code, [_record(code, *row) for _, *row in group]


def by_subject(people: list[Subject], stream: Iterator[tuple[str, list[FormRecord]]]
               ) -> Iterator[tuple[Subject, list[FormRecord]]]:
    """Each subject with their records from ``stream``: a merge of two lists in the same order
    (the database's, whatever its collation), so that neither side is held whole."""
    pending = next(stream, None)
    for subject in people:
        if pending is not None and pending[0] == subject.code:
            yield subject, pending[1]
            pending = next(stream, None)
        else:
            yield subject, []
    if pending is not None:
        raise RuntimeError(f"participant {pending[0]}: records out of the subjects' order")


def chunks(items: Iterator[tuple[Subject, list[FormRecord]]]
           ) -> Iterator[list[tuple[Subject, list[FormRecord]]]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        yield chunk
