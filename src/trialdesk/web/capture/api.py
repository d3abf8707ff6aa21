"""The data-capture JSON API, mounted on the server's API under /api/v1/.

Endpoints parse, check access (``trials.access`` and ``capture.access``), call an action, and
answer with the presenters' dicts. Form data use the protocol's field codes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Status

from trialdesk.protocol.visit_state import next_visit
from trialdesk.web.amendments.versions import latest_number, protocol_for_site, protocol_version
from trialdesk.web.capture import actions, presenters
from trialdesk.web.capture.access import (
    access_form_slot,
    access_lock_by_id,
    access_query_by_id,
    access_visit,
    protocol_form,
    visible_queries,
)
from trialdesk.web.capture.actions.signatures import signature_meaning
from trialdesk.web.capture.completeness import completeness_at_their_sites, totals
from trialdesk.web.capture.errors import FormRejected
from trialdesk.web.capture.importing import import_rows, parse_rows
from trialdesk.web.capture.models import FormInstance, Lock, Query
from trialdesk.web.capture.schedule import participant_schedule
from trialdesk.web.capture.schemas import (
    AnswerIn,
    DiscontinueIn,
    FormSaveIn,
    ImportIn,
    LockIn,
    NotDoneIn,
    QueryIn,
    QueryNoteIn,
    ReasonIn,
    SignatureIn,
    SignVisitsIn,
)
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.endpoints import endpoint, request_actor
from trialdesk.web.core.errors import InvalidInput, NotFound
from trialdesk.web.core.idempotency import idempotent
from trialdesk.web.core.locks import database_locked
from trialdesk.web.core.permissions import ANY_ROLE, READ_PARTICIPANTS
from trialdesk.web.trials import access

router = Router(tags=["capture"])

FORM_PATH = "/participants/{code}/visits/{visit}/forms/{form}"


def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "en")[:2]


def _rejected(error: FormRejected) -> Status:
    names = ", ".join(p["field"] for p in error.as_fields())
    return Status(422, {"error": "invalid", "detail": f"rejected fields: {names}",
                        "fields": error.as_fields()})


@router.get("/participants/{code}/schedule")
@endpoint(READ_PARTICIPANTS)
def schedule(request: HttpRequest, code: str) -> dict[str, Any]:
    """The visit schedule from the randomization date: windows, visit and form statuses, and the
    next visit (the same rule as the dashboard's and the worklist's)."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    # the schedule of the protocol version in force at the participant's site (issue 17)
    visits = protocol_for_site(participant.site).visits
    states = participant_schedule(participant, visits, today=clock.today(),
                                  database_locked=database_locked())
    following = next_visit([s.scheduled for s in states])
    return {"participant": participant.code,
            "visits": presenters.schedule_view(states, _lang(request)),
            "next_visit": presenters.next_visit_view(following, _lang(request), visits)}


@router.get("/participants/{code}/visits/{visit}/forms")
@endpoint(READ_PARTICIPANTS)
def read_visit_forms(request: HttpRequest, code: str, visit: str) -> list[dict[str, Any]]:
    """Every form of one visit (the first of each), entered or not, with values and status."""
    actor = request_actor(request)
    _, visit_def = access_visit(actor, code, visit)
    return [presenters.form_view(access_form_slot(actor, code, visit_def.code, form))
            for form in visit_def.forms]


@router.get(FORM_PATH)
@endpoint(READ_PARTICIPANTS)
def read_form(request: HttpRequest, code: str, visit: str, form: str, seq: int = 1) -> dict:
    """One form's values (derived included), status, warnings, signatures and queries."""
    slot = access_form_slot(request_actor(request), code, visit, form, seq)
    view = presenters.form_view(slot)
    view["signature_meaning"] = signature_meaning(_lang(request))
    return view


@router.put(FORM_PATH, response={200: dict, 201: dict, 422: dict})
@endpoint("enter_forms")
def save_form(request: HttpRequest, code: str, visit: str, form: str, body: FormSaveIn,
              seq: int = 1) -> Status:
    """Save all entered values of a form (as a draft, or ``complete``).

    Hard errors and, when completing, unconfirmed warnings give 422 naming each field and rule,
    and nothing is stored. Confirm a warning by sending its field (or check) code in ``confirm``.
    A change to a complete form needs a ``reason``. Values saved from the form's offer (its GET's
    ``prefilled``) say so with ``prefilled_from``: the audit record then names them.
    """
    actor = request_actor(request)
    slot = access_form_slot(actor, code, visit, form, seq)
    created = slot.instance is None
    try:
        actions.do_save_form(actor, slot, values=body.values, complete=body.complete,
                             confirm=body.confirm, reason=body.reason,
                             expected_version=body.expected_version,
                             prefilled_from=body.prefilled_from)
    except FormRejected as error:
        return _rejected(error)
    view = presenters.form_view(access_form_slot(actor, code, visit, form, seq))
    return Status(201 if created else 200, view)


def _signed_slot(actor: Actor, code: str, visit: str, form: str, seq: int) -> Any:
    slot = access_form_slot(actor, code, visit, form, seq)
    if slot.instance is None:
        raise NotFound("nothing entered on this form")
    return slot


# The signing password's check (audited, throttled) before an idempotency key's transaction,
# which a refusal rolls back with the failed attempt's audit record (core.idempotency).

def _check_form_password(request: HttpRequest, code: str, visit: str, form: str, body: SignatureIn,
                         seq: int = 1) -> None:
    actor = request_actor(request)
    actions.do_sign.before(actor, _signed_slot(actor, code, visit, form, seq).instance,
                           password=body.password)


def _check_visit_password(request: HttpRequest, code: str, visit: str, body: SignatureIn) -> None:
    actor = request_actor(request)
    participant, visit_def = access_visit(actor, code, visit)
    actions.do_sign_visit.before(actor, participant, visit_def.code, password=body.password)


def _check_session_password(request: HttpRequest, body: SignVisitsIn) -> None:
    actor = request_actor(request)
    visits, entries = _to_sign(actor, body)
    if entries:
        actions.do_sign_forms.before(actor, entries, visits=visits, password=body.password)
    else:
        actions.do_sign_visits.before(actor, visits, password=body.password)


@router.post(FORM_PATH + "/sign", response={201: dict})
@endpoint("sign_forms")
@idempotent("capture.sign_form", before=_check_form_password)
def sign_form(request: HttpRequest, code: str, visit: str, form: str, body: SignatureIn,
              seq: int = 1) -> Status:
    """The investigator signs a complete form, re-entering the password."""
    actor = request_actor(request)
    slot = _signed_slot(actor, code, visit, form, seq)
    signature = actions.do_sign(actor, slot.instance, password=body.password,
                                language=_lang(request))
    return Status(201, {"form": slot.key, "signed_at": signature.signed_at.isoformat(),
                        "meaning": signature.meaning})


@router.post("/participants/{code}/visits/{visit}/sign", response={201: dict})
@endpoint("sign_forms")
@idempotent("capture.sign_visit", before=_check_visit_password)
def sign_visit(request: HttpRequest, code: str, visit: str, body: SignatureIn) -> Status:
    """The investigator signs every form of a visit at once."""
    actor = request_actor(request)
    participant, visit_def = access_visit(actor, code, visit)
    signatures = actions.do_sign_visit(actor, participant, visit_def.code, visit_def.forms,
                                       password=body.password, language=_lang(request))
    return Status(201, {"visit": visit_def.code, "signed": len(signatures),
                        "meaning": signature_meaning(_lang(request))})


def _to_sign(actor: Actor, body: SignVisitsIn) -> tuple[list[Any], list[Any]]:
    """The visits (participant, visit, forms) and form entries a signing session names."""
    if not body.visits and not body.forms:
        raise InvalidInput("visits", "name at least one visit or form entry to sign")
    visits = []
    for ref in body.visits:
        participant, visit_def = access_visit(actor, ref.participant, ref.visit)
        visits.append((participant, visit_def.code, list(visit_def.forms)))
    entries = []
    for entry in body.forms:
        slot = access_form_slot(actor, entry.participant, entry.visit, entry.form, entry.seq)
        if slot.instance is None:
            raise NotFound(f"nothing entered on {slot.key}")
        entries.append(slot.instance)
    return visits, entries


@router.post("/signatures", response={201: dict})
@endpoint("sign_forms")
@idempotent("capture.sign_visits", before=_check_session_password)
def sign_visits(request: HttpRequest, body: SignVisitsIn) -> Status:
    """The investigator signs several visits and form entries with one password entry: all of
    them, or none. With an ``idempotency_key`` a retry answers the first session's answer."""
    actor = request_actor(request)
    visits, entries = _to_sign(actor, body)
    language = _lang(request)
    if entries:
        signatures = actions.do_sign_forms(actor, entries, visits=visits,
                                           password=body.password, language=language)
    else:
        signatures = actions.do_sign_visits(actor, visits, password=body.password,
                                            language=language)
    return Status(201, {"visits": [f"{p.code}/{v}" for p, v, _ in visits],
                        "forms": [entry.key for entry in entries],
                        "signed": len(signatures), "meaning": signature_meaning(language)})


@router.post("/participants/{code}/visits/{visit}/not-done", response={201: dict})
@endpoint("enter_forms")
@idempotent("capture.visit_not_done")
def visit_not_done(request: HttpRequest, code: str, visit: str, body: NotDoneIn) -> Status:
    """Mark a visit as not done, with the reason."""
    actor = request_actor(request)
    participant, visit_def = access_visit(actor, code, visit)
    record = actions.do_mark_visit_not_done(actor, participant, visit_def.code, reason=body.reason)
    return Status(201, {"participant": participant.code, "visit": record.visit,
                        "reason": record.reason})


@router.post("/participants/{code}/discontinue", response={201: dict})
@endpoint("enter_forms")
@idempotent("capture.discontinue")
def discontinue(request: HttpRequest, code: str, body: DiscontinueIn) -> Status:
    """Record that the participant died or withdrew: no later visit is due."""
    actor = request_actor(request)
    participant = access.access_participant_by_code(actor, code)
    record = actions.do_discontinue(actor, participant, kind=body.kind, date=body.date,
                                    reason=body.reason)
    return Status(201, {"participant": participant.code, "kind": record.kind,
                        "date": record.date.isoformat()})


@router.get("/queries")
# any role: the list is filtered to the participants the role may see (none for the pharmacy)
@endpoint(ANY_ROLE)
def list_queries(request: HttpRequest, status: str | None = None, site: str | None = None,
                 participant: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Queries on the participants the caller may see, newest first."""
    actor = request_actor(request)
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit", "must be between 1 and 1000")
    queries = visible_queries(actor)
    if status:
        queries = queries.filter(status=status)
    if site:
        queries = queries.filter(site__code=site)
    if participant:
        queries = queries.filter(participant__code=participant)
    return [presenters.query_view(q, with_messages=False)
            for q in queries.order_by("-raised_at", "-pk")[:limit]]


@router.get("/queries/open-counts")
@endpoint(ANY_ROLE)
def open_query_counts(request: HttpRequest) -> dict[str, Any]:
    """Open queries per site and per participant (for the dashboards)."""
    actor = request_actor(request)
    queries = visible_queries(actor).filter(status=Query.OPEN)
    by_site = queries.values("site__code").annotate(n=Count("id")).order_by("site__code")
    by_participant = queries.values("participant__code").annotate(n=Count("id")).order_by(
        "participant__code")
    return {"sites": {row["site__code"]: row["n"] for row in by_site},
            "participants": {row["participant__code"]: row["n"] for row in by_participant}}


@router.get("/queries/{query_id}")
@endpoint(READ_PARTICIPANTS)
def read_query(request: HttpRequest, query_id: int) -> dict[str, Any]:
    return presenters.query_view(access_query_by_id(request_actor(request), query_id))


@router.post(FORM_PATH + "/queries", response={201: dict})
@endpoint("raise_queries")
@idempotent("capture.raise_query")
def raise_query(request: HttpRequest, code: str, visit: str, form: str, body: QueryIn,
                seq: int = 1) -> Status:
    """A data manager or monitor raises a query on one field of an entered form (with an
    ``idempotency_key``, a retry answers the first query and raises none)."""
    actor = request_actor(request)
    slot = access_form_slot(actor, code, visit, form, seq)
    if slot.instance is None:
        raise NotFound("nothing entered on this form")
    query = actions.do_raise_query(actor, slot.instance, field=body.field, text=body.text)
    return Status(201, presenters.query_view(query))


@router.post("/queries/{query_id}/answer", response={200: dict, 422: dict})
@endpoint("answer_queries")
def answer_query(request: HttpRequest, query_id: int, body: AnswerIn) -> Status:
    """The site answers; ``correction`` (field code -> value) changes the form, with ``reason``."""
    actor = request_actor(request)
    query = access_query_by_id(actor, query_id)
    instance = query.form_instance
    slot = access_form_slot(actor, query.participant.code, instance.visit, instance.form,
                            instance.seq)
    try:
        query = actions.do_answer_query(actor, query, text=body.text, slot=slot,
                                        correction=body.correction, reason=body.reason,
                                        confirm=tuple(body.confirm))
    except FormRejected as error:
        return _rejected(error)
    return Status(200, presenters.query_view(access_query_by_id(actor, query.pk)))


@router.post("/queries/{query_id}/close")
@endpoint("close_queries")
def close_query(request: HttpRequest, query_id: int, body: QueryNoteIn) -> dict[str, Any]:
    actor = request_actor(request)
    query = actions.do_close_query(actor, access_query_by_id(actor, query_id), text=body.text)
    return presenters.query_view(access_query_by_id(actor, query.pk))


@router.post("/queries/{query_id}/reopen")
@endpoint("close_queries")
def reopen_query(request: HttpRequest, query_id: int, body: QueryNoteIn) -> dict[str, Any]:
    actor = request_actor(request)
    query = actions.do_reopen_query(actor, access_query_by_id(actor, query_id), text=body.text)
    return presenters.query_view(access_query_by_id(actor, query.pk))


@router.get("/locks")
@endpoint("lock")
def list_locks(request: HttpRequest, active: bool = True) -> list[dict[str, Any]]:
    """Locks (data manager), the ones in force unless ``active=false``."""
    locks = Lock.objects.select_related("participant", "form_instance__participant", "locked_by",
                                        "unlocked_by").order_by("-locked_at")
    if active:
        locks = locks.filter(unlocked_at__isnull=True)
    return [presenters.lock_view(lock) for lock in locks[:1000]]


@router.post("/locks", response={201: dict})
@endpoint("lock")
@idempotent("capture.lock")
def lock(request: HttpRequest, body: LockIn) -> Status:
    """Lock a form, a participant's data or the whole database. Refused (409,
    ``checklist_outstanding``) while its lock checklist has items: the answer adds ``target`` and
    ``checklist`` (``outstanding``, and per check its ``code``, ``label``, ``count`` and
    ``items``); such a lock needs the override (``POST /locks/overrides``)."""
    actor = request_actor(request)
    participant = instance = None
    if body.scope != Lock.DATABASE:
        if not body.participant:
            raise InvalidInput("participant", f"is required to lock a {body.scope}")
        participant = access.access_participant_by_code(actor, body.participant)
    if body.scope == Lock.FORM:
        if not (body.visit and body.form):
            raise InvalidInput("form", "visit and form are required to lock a form")
        slot = access_form_slot(actor, participant.code, body.visit, body.form, body.seq)
        if slot.instance is None:
            raise NotFound("nothing entered on this form")
        instance = slot.instance
    record = actions.do_lock(actor, body.scope, participant=participant, instance=instance,
                             reason=body.reason)
    return Status(201, presenters.lock_view(record))


@router.post("/locks/{lock_id}/unlock")
@endpoint("lock")
def unlock(request: HttpRequest, lock_id: int, body: ReasonIn) -> dict[str, Any]:
    """Lift a lock; the reason is required."""
    actor = request_actor(request)
    record = actions.do_unlock(actor, access_lock_by_id(actor, lock_id), reason=body.reason)
    return presenters.lock_view(record)


@router.get("/completeness")
@endpoint(READ_PARTICIPANTS)
def completeness(request: HttpRequest, site: str | None = None) -> dict[str, Any]:
    """Forms expected by today and complete, per site and visit, with the missing ones."""
    actor = request_actor(request)
    participants = access.visible_participants(actor)
    if site:
        participants = participants.filter(site__code=site)
    rows = completeness_at_their_sites(participants, today=clock.today())
    return {
        "sites": totals(rows),
        "rows": [{"site": r.site, "visit": r.visit, "expected": r.expected,
                  "complete": r.complete, "percent": round(r.percent, 1),
                  "missing": [{"participant": p, "form": f} for p, f in r.missing]}
                 for r in rows],
    }


@router.post("/form-data/import")
@endpoint("enter_forms")
def import_form_data(request: HttpRequest, body: ImportIn) -> dict[str, Any]:
    """Bulk import (CSV text or a JSON list): one row per form; errors by row number."""
    actor = request_actor(request)
    result = import_rows(actor, parse_rows(body.format, body.data),
                         all_or_nothing=body.all_or_nothing)
    return {"rows": result.rows, "saved": result.saved, "rolled_back": result.rolled_back,
            "errors": result.errors}


@router.get("/form-data")
@endpoint(READ_PARTICIPANTS)
def export_form_data(request: HttpRequest, form: str, visit: str | None = None,
                     after: int = 0, limit: int = 1000) -> dict[str, Any]:
    """Entered values of one form for every visible participant, in pages (``after`` = cursor)."""
    actor = request_actor(request)
    # a form of any recorded protocol version (one an amendment added or removed included)
    if protocol_form(form) is None and protocol_form(form, protocol_version(latest_number())) \
            is None and not FormInstance.objects.filter(form=form).exists():
        raise NotFound(f"no form {form}")
    if not 1 <= limit <= 5000:
        raise InvalidInput("limit", "must be between 1 and 5000")
    rows = FormInstance.objects.filter(
        form=form, pk__gt=after, participant__in=access.visible_participants(actor))
    if visit:
        rows = rows.filter(visit=visit)
    page = list(rows.order_by("pk").values("pk", "participant__code", "visit", "seq", "status",
                                           "version", "protocol_version", "values")[:limit])
    return {"next": page[-1]["pk"] if len(page) == limit else None,
            "rows": [{"participant": r["participant__code"], "visit": r["visit"], "seq": r["seq"],
                      "status": r["status"], "version": r["version"],
                      "protocol_version": r["protocol_version"], "values": r["values"]}
                     for r in page]}
