"""Monitoring's writes: visits, findings, action items, verifications; each one transaction
with its audit record (who, what, when, why, old and new value).

A verification's audit record names the record, the fields and their old and new states (and the
monitor's comment as the reason), never a value: the values are in the records' own trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialdesk.blinding import Permission
from trialdesk.monitoring.sdv_plan import FORM
from trialdesk.monitoring.verification import MARKS, NEEDS_CORRECTION, VERIFIED, value_hash
from trialdesk.web.capture.actions.queries import do_raise_query
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core import clock, sql
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit, append_audits
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.monitoring.models import (
    TEXT_MAX,
    ActionItem,
    Finding,
    MonitoringVisit,
    Verification,
)
from trialdesk.web.monitoring.records import Record, record, reread
from trialdesk.web.monitoring.status import states

KINDS = tuple(code for code, _label in MonitoringVisit.KINDS)
VISIT_STATUSES = tuple(code for code, _label in MonitoringVisit.STATUSES)
ACTION_STATUSES = tuple(code for code, _label in ActionItem.STATUSES)
OWNER_MAX = 150
# a visit is planned at most this far ahead, and dated at most this far back
PLAN_AHEAD = dt.timedelta(days=3 * 366)
PLAN_BACK = dt.timedelta(days=366)


def _text(name: str, value: str, limit: int = TEXT_MAX, minimum: int = 0) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise InvalidInput(name, "must not contain the NUL character")
    if len(value) > limit:
        raise InvalidInput(name, f"at most {limit} characters")
    if len(value) < minimum:
        raise InvalidInput(name, f"must say it in at least {minimum} characters" if minimum > 1
                           else "required")
    return value


def _date_near_today(name: str, value: dt.date) -> dt.date:
    today = clock.today()
    if not today - PLAN_BACK <= value <= today + PLAN_AHEAD:
        raise InvalidInput(name, "must be within a year before and three years after today")
    return value


def _monitor(actor: Actor, username: str | None) -> Any:
    """The visit's monitor: the actor, or another user whose role verifies source data."""
    if not username or username == actor.username:
        return actor.user
    membership = next(
        (m for m in Membership.objects.select_related("user")
         .filter(user__username=username, user__is_active=True, active=True)
         if actor.policy.has_permission(m.role, Permission.VERIFY_SOURCE)), None)
    if membership is None:
        raise InvalidInput("monitor", "must be an active user whose role verifies source data")
    return membership.user


@action(Permission.VERIFY_SOURCE)
def do_plan_visit(actor: Actor, *, site_code: str, kind: str, planned_date: dt.date,
                  monitor: str | None = None) -> MonitoringVisit:
    """Plan a monitoring visit of a site (on site or remote) on a date, by a monitor."""
    site = Site.objects.filter(code=site_code).first()
    if site is None:
        raise InvalidInput("site", "must be one of the trial's sites")
    if kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}")
    _date_near_today("planned_date", planned_date)
    user = _monitor(actor, monitor)
    now = clock.now()
    visit = MonitoringVisit.objects.create(site=site, kind=kind, planned_date=planned_date,
                                           monitor=user, created_at=now, created_by=actor.user,
                                           updated_at=now)
    append_audit(actor=actor.username, action="plan_monitoring_visit", model="monitoring_visit",
                 object_id=str(visit.pk),
                 changes={"site": {"old": None, "new": site.code},
                          "kind": {"old": None, "new": kind},
                          "planned_date": {"old": None, "new": planned_date.isoformat()},
                          "monitor": {"old": None, "new": user.get_username()}})
    return visit


@action(Permission.VERIFY_SOURCE)
def do_update_visit(actor: Actor, visit: MonitoringVisit, *, status: str | None = None,
                    done_date: dt.date | None = None, summary: str | None = None,
                    planned_date: dt.date | None = None) -> MonitoringVisit:
    """Record a visit as done (on a date) or cancelled, move its date, or write its summary."""
    visit = MonitoringVisit.objects.select_for_update().get(pk=visit.pk)
    old = {"status": visit.status, "done_date": visit.done_date, "summary": visit.summary,
           "planned_date": visit.planned_date}
    if status is not None:
        if status not in VISIT_STATUSES:
            raise InvalidInput("status", f"must be one of {', '.join(VISIT_STATUSES)}")
        if visit.status != MonitoringVisit.PLANNED and status != visit.status:
            raise Conflict("visit_closed", f"the visit is {visit.status}: its status is final")
        visit.status = status
    if planned_date is not None:
        visit.planned_date = _date_near_today("planned_date", planned_date)
    if visit.status == MonitoringVisit.DONE:
        when = done_date or visit.done_date or clock.today()
        if when > clock.today():
            raise InvalidInput("done_date", "must not be in the future")
        visit.done_date = _date_near_today("done_date", when)
    elif done_date is not None:
        raise InvalidInput("done_date", "only a visit that is done has a date done")
    if summary is not None:
        visit.summary = _text("summary", summary)
    new = {"status": visit.status, "done_date": visit.done_date, "summary": visit.summary,
           "planned_date": visit.planned_date}
    changes = {name: {"old": _iso(old[name]), "new": _iso(new[name])}
               for name in old if old[name] != new[name]}
    if not changes:
        raise InvalidInput("visit", "nothing to change")
    visit.updated_at = clock.now()
    visit.save()
    append_audit(actor=actor.username, action="update_monitoring_visit",
                 model="monitoring_visit", object_id=str(visit.pk), changes=changes)
    return visit


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _open_visit(visit: MonitoringVisit) -> MonitoringVisit:
    visit = MonitoringVisit.objects.get(pk=visit.pk)
    if visit.status == MonitoringVisit.CANCELLED:
        raise Conflict("visit_cancelled", "the visit was cancelled")
    return visit


@action(Permission.VERIFY_SOURCE)
def do_add_finding(actor: Actor, visit: MonitoringVisit, *, category: str, severity: str,
                   text: str) -> Finding:
    """Record what a visit found: its category, severity (minor, major, critical) and text."""
    visit = _open_visit(visit)
    if category not in Finding.CATEGORIES:
        raise InvalidInput("category", f"must be one of {', '.join(Finding.CATEGORIES)}")
    if severity not in Finding.SEVERITIES:
        raise InvalidInput("severity", f"must be one of {', '.join(Finding.SEVERITIES)}")
    text = _text("text", text, minimum=5)
    finding = Finding.objects.create(visit=visit, category=category, severity=severity,
                                     text=text, created_at=clock.now(), created_by=actor.user)
    append_audit(actor=actor.username, action="add_monitoring_finding",
                 model="monitoring_finding", object_id=str(finding.pk),
                 changes={"visit": {"old": None, "new": visit.pk},
                          "category": {"old": None, "new": category},
                          "severity": {"old": None, "new": severity},
                          "text": {"old": None, "new": text}})
    return finding


@action(Permission.VERIFY_SOURCE)
def do_add_action_item(actor: Actor, visit: MonitoringVisit, *, text: str, owner: str,
                       due_date: dt.date, finding_id: int | None = None) -> ActionItem:
    """Record an action a visit calls for: what, who owns it, by when (and for which finding)."""
    visit = _open_visit(visit)
    text = _text("text", text, minimum=5)
    owner = _text("owner", owner, OWNER_MAX, minimum=1)
    finding = None
    if finding_id is not None:
        finding = Finding.objects.filter(pk=finding_id, visit=visit).first()
        if finding is None:
            raise InvalidInput("finding", "must be a finding of this visit")
    _date_near_today("due_date", due_date)
    item = ActionItem.objects.create(visit=visit, finding=finding, text=text, owner=owner,
                                     due_date=due_date, created_at=clock.now(),
                                     created_by=actor.user)
    append_audit(actor=actor.username, action="add_monitoring_action_item",
                 model="monitoring_action_item", object_id=str(item.pk),
                 changes={"visit": {"old": None, "new": visit.pk},
                          "text": {"old": None, "new": text},
                          "owner": {"old": None, "new": owner},
                          "due_date": {"old": None, "new": due_date.isoformat()}})
    return item


@action(Permission.VERIFY_SOURCE)
def do_update_action_item(actor: Actor, item: ActionItem, *, status: str | None = None,
                          note: str | None = None, owner: str | None = None,
                          due_date: dt.date | None = None) -> ActionItem:
    """Close or reopen an action item (with a note), or change its owner or due date."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    old = {"status": item.status, "note": item.note, "owner": item.owner,
           "due_date": item.due_date}
    if status is not None:
        if status not in ACTION_STATUSES:
            raise InvalidInput("status", f"must be one of {', '.join(ACTION_STATUSES)}")
        item.status = status
    if note is not None:
        item.note = _text("note", note)
    if owner is not None:
        item.owner = _text("owner", owner, OWNER_MAX, minimum=1)
    if due_date is not None:
        item.due_date = _date_near_today("due_date", due_date)
    new = {"status": item.status, "note": item.note, "owner": item.owner,
           "due_date": item.due_date}
    changes = {name: {"old": _iso(old[name]), "new": _iso(new[name])}
               for name in old if old[name] != new[name]}
    if not changes:
        raise InvalidInput("action_item", "nothing to change")
    if old["status"] != item.status:
        closing = item.status == ActionItem.DONE
        item.closed_at = clock.now() if closing else None
        item.closed_by = actor.user if closing else None
    item.save()
    append_audit(actor=actor.username, action="update_monitoring_action_item",
                 model="monitoring_action_item", object_id=str(item.pk), changes=changes)
    return item


@action(Permission.VERIFY_SOURCE, refuse_when_locked=True)
def do_verify(actor: Actor, visit: MonitoringVisit, rec: Record, *, status: str,
              fields: list[str] | None = None, comment: str = "") -> list[Verification]:
    """Verify fields of a record against the source at a visit of its site: ``verified``, or
    ``needs_correction`` with a comment. No ``fields``: every field of the record.

    A form field that needs correction also gets a data query with the comment (when the
    monitor's role raises queries), so that the site sees it where it answers queries and
    corrects the value through the query's own audited path."""
    visit = _open_visit(visit)
    # the values as they are now, inside the transaction: the hashes are of what was verified
    rec = record(rec.item.source, rec.ref) or rec
    if visit.site_id != rec.site_id:
        raise InvalidInput("visit", "must be a visit of the record's site")
    if status not in MARKS:
        raise InvalidInput("status", f"must be one of {', '.join(MARKS)}")
    comment = _text("comment", comment, minimum=5 if status == NEEDS_CORRECTION else 0)
    chosen = _chosen(visit, rec, fields)
    made = _store(actor, visit, [(rec, chosen)], status, comment)
    if (status == NEEDS_CORRECTION and rec.item.source == FORM
            and actor.can(Permission.RAISE_QUERIES)):
        instance = FormInstance.objects.select_related("participant").get(pk=int(rec.ref))
        for name in chosen:
            do_raise_query(actor, instance, field=name,
                           text=f"Source data verification: {comment}"[:4000])
    return made


@action(Permission.VERIFY_SOURCE, refuse_when_locked=True)
def do_verify_records(actor: Actor, visit: MonitoringVisit,
                      checked: list[tuple[Record, list[str] | None]]) -> list[Verification]:
    """Mark fields of several records ``verified`` at one visit of their site (no fields: every
    field of the record), in one transaction: what a monitor found right in one sitting.

    Each record is read again, checked, stored and audited exactly as :func:`do_verify` does
    it, one audit record per record; the records are read and their states judged together
    (a visit verifies hundreds, and one call per record was most of a simulated trial's
    monitoring CPU, issue 13)."""
    visit = _open_visit(visit)
    keys = [rec.item.key for rec, _fields in checked]
    if len(set(keys)) != len(keys):
        raise InvalidInput("records", "must name each record once")
    current = reread([rec for rec, _fields in checked])
    chosen = [(rec, _chosen(visit, rec, fields))
              for rec, (_old, fields) in zip(current, checked, strict=True)]
    return _store(actor, visit, chosen, VERIFIED, "")


def _chosen(visit: MonitoringVisit, rec: Record, fields: list[str] | None) -> list[str]:
    """The fields to verify (no ``fields``: every field of the record), checked."""
    if visit.site_id != rec.site_id:
        raise InvalidInput("visit", "must be a visit of the record's site")
    chosen = list(dict.fromkeys(fields)) if fields else list(rec.fields)
    unknown = [name for name in chosen if name not in rec.fields]
    if unknown:
        raise InvalidInput("fields", f"not fields of this record: {', '.join(sorted(unknown))}")
    return chosen


def _store(actor: Actor, visit: MonitoringVisit, chosen: list[tuple[Record, list[str]]],
           status: str, comment: str) -> list[Verification]:
    """The verifications of each record's chosen fields, and each record's audit record."""
    before = states([rec for rec, _names in chosen], only_planned=False, plan={}, rows=False)
    now = clock.now()
    # in plain SQL (core.sql): the ORM's bulk insert compiled each value, most of a visit's CPU
    made = sql.insert_instances([Verification(
        item=rec.item.key, source=rec.item.source, participant_id=rec.participant_id,
        site_id=rec.site_id, field=name, status=status, comment=comment,
        value_hash=value_hash(rec.values.get(name)), visit=visit, verified_by=actor.user,
        verified_at=now) for rec, names in chosen for name in names])
    # each record's audit record, in order, appended together (one head read: append_audits)
    append_audits([{"actor": actor.username, "action": "verify_source_data",
                    "model": "monitoring_record", "object_id": rec.item.key,
                    "changes": {name: {"old": state.fields[name], "new": status}
                                for name in names} | {"visit": {"old": None, "new": visit.pk}},
                    "reason": comment}
                   for (rec, names), state in zip(chosen, before, strict=True)])
    return made


def users_who_monitor() -> list[str]:
    """The usernames a visit may name as its monitor (active, with verify_source)."""
    from trialdesk.web.core.protocol import get_policy

    policy = get_policy()
    return sorted({m.user.get_username() for m in Membership.objects.select_related("user")
                   .filter(user__is_active=True, active=True)
                   if policy.has_permission(m.role, Permission.VERIFY_SOURCE)})


__all__ = ["do_add_action_item", "do_add_finding", "do_plan_visit", "do_update_action_item",
           "do_update_visit", "do_verify", "do_verify_records", "users_who_monitor"]
