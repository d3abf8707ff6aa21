"""The query life cycle: raised (by a data manager or monitor, or automatically), answered by the
site (possibly with a corrected value), closed or re-opened by the data manager."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialdesk.web.capture.access import FormSlot, instance_form
from trialdesk.web.capture.actions.forms import do_save_form, entered_values
from trialdesk.web.capture.models import FormInstance, Query, QueryMessage
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit, lock_writes
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.locks import refuse_if_database_locked


def _text(text: str, name: str = "text") -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(name, "is required")
    if len(text) > 4000:
        raise InvalidInput(name, "must be at most 4000 characters")
    return text


def _move(actor: Actor, query: Query, *, to: str, action: str, text: str) -> Query:
    now = clock.now()
    old = query.status
    query.status = to
    query.updated_at = now
    query.save(update_fields=["status", "updated_at"])
    QueryMessage.objects.create(query=query, at=now, actor=actor.user, action=action, text=text)
    append_audit(actor=actor.username, action=_AUDIT_ACTIONS[action],
                 model="query", object_id=str(query.pk),
                 changes={"status": {"old": old, "new": to}}, reason=text)
    return query


_AUDIT_ACTIONS = {"answered": "answer_query", "closed": "close_query", "reopened": "reopen_query"}


def _locked_query(query: Query) -> Query:
    lock_writes()
    refuse_if_database_locked()
    return Query.objects.select_for_update().select_related("participant__site").get(pk=query.pk)


@action("raise_queries", refuse_when_locked=True)
def do_raise_query(actor: Actor, instance: FormInstance, *, field: str, text: str) -> Query:
    """Raise a manual query on one field (or one check) of an entered form."""
    text = _text(text)
    form = instance_form(instance)  # as of the version it was captured under
    codes = {f.code for f in form.fields} | {c.code for c in form.checks}
    if field not in codes:
        raise InvalidInput("field", f"the form {instance.form} has no field {field}")
    now = clock.now()
    query = Query.objects.create(
        form_instance=instance, participant_id=instance.participant_id, site_id=instance.site_id,
        field=field, rule="manual", kind=Query.MANUAL, text=text, raised_at=now,
        raised_by=actor.user, updated_at=now,
    )
    QueryMessage.objects.create(query=query, at=now, actor=actor.user, action="raised", text=text)
    append_audit(actor=actor.username, action="raise_query", model="query", object_id=str(query.pk),
                 changes={"form": {"old": None, "new": instance.key},
                          "field": {"old": None, "new": field}}, reason=text)
    return query


@action("answer_queries")
def do_answer_query(
    actor: Actor,
    query: Query,
    *,
    text: str,
    slot: FormSlot | None = None,
    correction: Mapping[str, Any] | None = None,
    reason: str = "",
    confirm: tuple[str, ...] = (),
) -> Query:
    """Answer an open query; the site may correct values (``correction``, with a ``reason``).

    The correction goes through :func:`do_save_form`, so it is validated, audited field by field,
    and voids a signature like any other change.
    """
    text = _text(text)
    query = _locked_query(query)
    if query.status != Query.OPEN:
        raise Conflict("query_not_open", f"query {query.pk} is {query.status}, not open")
    if correction:
        if slot is None or slot.instance is None or slot.instance.pk != query.form_instance_id:
            raise InvalidInput("correction", "must be for the form the query is on")
        if not reason.strip():
            raise InvalidInput("reason", "is required to correct a value")
        instance = slot.instance
        values = {**entered_values(slot.form, instance.values), **correction}
        do_save_form(actor, slot, values=values, complete=instance.status == "complete",
                     confirm=confirm, reason=reason, answering=query)
        query.refresh_from_db()
        if query.status == Query.CLOSED:
            return query  # the correction resolved an automatic query
    return _move(actor, query, to=Query.ANSWERED, action="answered", text=text)


@action("close_queries")
def do_close_query(actor: Actor, query: Query, *, text: str = "") -> Query:
    """Close a query (data manager), answered or not."""
    query = _locked_query(query)
    if query.status == Query.CLOSED:
        raise Conflict("query_closed", f"query {query.pk} is already closed")
    return _move(actor, query, to=Query.CLOSED, action="closed", text=text.strip())


@action("close_queries")
def do_reopen_query(actor: Actor, query: Query, *, text: str) -> Query:
    """Re-open an answered or closed query (data manager), saying why."""
    text = _text(text)
    query = _locked_query(query)
    if query.status == Query.OPEN:
        raise Conflict("query_open", f"query {query.pk} is already open")
    return _move(actor, query, to=Query.OPEN, action="reopened", text=text)
