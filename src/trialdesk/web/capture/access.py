"""What a user may reach in data capture, built on the trial server's access layer.

Like ``trials.access``, every ``access_*`` raises NotFound alike for a record that does not exist
and for one the user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection

from trialdesk.protocol import Protocol
from trialdesk.protocol.capture import Form, Visit
from trialdesk.web.amendments.versions import FIRST, in_force, protocol_version
from trialdesk.web.capture.models import FormInstance, Lock, Query
from trialdesk.web.core import sql
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.access import access_participant_by_code, visible_participants
from trialdesk.web.trials.models import Participant

# Repeating forms that no visit lists (adverse events, medications) are kept under this visit code.
LOG_VISIT = "log"


@dataclass(frozen=True)
class FormSlot:
    """One place a form can be entered: participant, visit, form and sequence number."""

    participant: Participant
    visit_code: str
    form: Form
    seq: int
    instance: FormInstance | None
    # the protocol version the form's definition comes from: the instance's own once it is
    # saved, the site's version in force for a form not begun (issue 17)
    protocol_version: int = FIRST

    @property
    def key(self) -> str:
        return f"{self.participant.code}/{self.visit_code}/{self.form.code}/{self.seq}"


def protocol_visit(code: str, protocol: Protocol | None = None) -> Visit | None:
    """Return the visit with this code of ``protocol`` (default: the running one), or None."""
    protocol = protocol or get_protocol()
    return next((visit for visit in protocol.visits if visit.code == code), None)


def protocol_form(code: str, protocol: Protocol | None = None) -> Form | None:
    """Return the form with this code of ``protocol`` (default: the running one), or None."""
    protocol = protocol or get_protocol()
    return next((form for form in protocol.forms if form.code == code), None)


def instance_form(instance: FormInstance) -> Form | None:
    """Return a saved form's definition as of the protocol version it was captured under."""
    return protocol_form(instance.form, protocol_version(instance.protocol_version))


def form_allowed_in_visit(form: Form, visit_code: str, protocol: Protocol | None = None) -> bool:
    """Return True if ``protocol`` (default: the running one) collects ``form`` at the visit."""
    if visit_code == LOG_VISIT:
        return form.repeating
    visit = protocol_visit(visit_code, protocol)
    return visit is not None and form.code in visit.forms


def access_form_slot(
    actor: Actor, participant_code: str, visit_code: str, form_code: str, seq: int = 1
) -> FormSlot:
    """Return the form slot if the actor may read the participant and the protocol has it.

    A saved form keeps the definition of the protocol version it was captured under (a form or
    field an amendment removed stays readable); a form not begun takes the definition in force
    at the participant's site.
    """
    participant = access_participant_by_code(actor, participant_code)
    instance = _saved_instance(participant, visit_code, form_code, seq) if seq >= 1 else None
    if instance is not None:
        number = instance.protocol_version
        protocol = protocol_version(number)
    else:
        number, protocol = in_force(participant.site.code)
    form = protocol_form(form_code, protocol)
    if form is None or not form_allowed_in_visit(form, visit_code, protocol):
        raise NotFound(f"no form {form_code} at visit {visit_code}")
    if seq < 1 or (seq > 1 and not form.repeating):
        raise NotFound(f"no form {form_code} number {seq}")
    if instance is not None:
        instance.participant = participant
    return FormSlot(participant, visit_code, form, seq, instance, number)


def _saved_instance(participant: Participant, visit_code: str, form_code: str,
                    seq: int) -> FormInstance | None:
    """The saved entry of a slot, if any: at most one row (a unique key), no ordering, no join
    (the participant is the one in hand). Plain SQL (``core.sql``): every form saved asks it, and
    the ORM's query building was most of its cost (issue 13)."""
    low, high = connection.ops.integer_field_range(
        FormInstance._meta.get_field("seq").get_internal_type())
    if not low <= seq <= high:  # no such row; the database would refuse the number itself
        return None
    with connection.cursor() as cursor:
        cursor.execute(_instance_sql(), (participant.pk, visit_code, form_code, seq))
        row = cursor.fetchone()
    return sql.instances(row, FormInstance)[0] if row is not None else None


@cache
def _instance_sql() -> str:
    f = FormInstance
    return (f"SELECT {sql.columns(f, 'f')} FROM {sql.table(f)} f "  # noqa: S608
            f"WHERE f.{sql.column(f, 'participant')} = %s AND f.{sql.column(f, 'visit')} = %s "
            f"AND f.{sql.column(f, 'form')} = %s AND f.{sql.column(f, 'seq')} = %s LIMIT 1")


def access_visit(actor: Actor, participant_code: str, visit_code: str) -> tuple[Participant, Visit]:
    """Return the participant and the visit of the version in force at the participant's site,
    if the actor may read them."""
    participant = access_participant_by_code(actor, participant_code)
    visit = protocol_visit(visit_code, in_force(participant.site.code)[1])
    if visit is None:
        raise NotFound(f"no visit {visit_code}")
    return participant, visit


def visible_queries(actor: Actor):
    """Return the queries on participants the actor may see."""
    return Query.objects.filter(participant__in=visible_participants(actor)).select_related(
        "participant", "form_instance", "raised_by"
    )


def access_query_by_id(actor: Actor, query_id: int) -> Query:
    """Return the query if the actor may see its participant."""
    query = visible_queries(actor).filter(pk=query_id).first()
    if query is None:
        raise NotFound(f"no query {query_id}")
    return query


def access_lock_by_id(actor: Actor, lock_id: int) -> Lock:
    """Return a lock for a role that locks (data manager); NotFound for everyone else."""
    lock = Lock.objects.select_related("participant", "form_instance__participant").filter(
        pk=lock_id).first()
    if lock is None or not actor.can("lock"):
        raise NotFound(f"no lock {lock_id}")
    return lock
