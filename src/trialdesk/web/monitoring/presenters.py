"""What monitoring shows: the plan with each record's state, progress per site and participant,
visits with findings and action items. The same dicts feed the pages and the JSON API.

Who reads: the monitor, the data manager (who locks), and any role that reads trial data
(``MONITORING_READERS``); a site-scoped reader sees its own site only. No view names an arm, and
every list is ordered by names that do not depend on one (participant code, record key, date).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from trialdesk.blinding import Permission
from trialdesk.monitoring.sdv_plan import FULL_REASONS, SAFETY_EVENT
from trialdesk.monitoring.verification import (
    CHANGED,
    NEEDS_CORRECTION,
    NOT_VERIFIED,
    PARTLY_VERIFIED,
    VERIFIED,
)
from trialdesk.protocol.censored import display_text
from trialdesk.protocol.monitoring import Monitoring
from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.monitoring.lock_check import subject
from trialdesk.web.monitoring.models import ActionItem, Finding, MonitoringVisit
from trialdesk.web.monitoring.records import SOURCES, Record, current_shares, record, records
from trialdesk.web.monitoring.status import RecordState, states
from trialdesk.web.safety.templatetags.safety_tags import LABELS as SAFETY_LABELS
from trialdesk.web.trials.models import Participant
from trialdesk.web.trials.screening_fields import screening_fields

MONITORING_READERS = (Permission.VERIFY_SOURCE, Permission.LOCK, Permission.READ)
ITEM_STATES = (NOT_VERIFIED, PARTLY_VERIFIED, VERIFIED, NEEDS_CORRECTION, CHANGED)


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def actor_site(actor: Actor) -> str | None:
    """The site a site-scoped reader is limited to (None: every site)."""
    return actor.site if actor.policy.is_site_scoped(actor.role) else None


def visible_records(actor: Actor, *, site: str | None = None,
                    participant: str | None = None) -> list[Record]:
    own = actor_site(actor)
    if own is not None:
        if site not in (None, own):
            return []
        site = own
    found = records(site_code=site)
    if participant:
        found = [rec for rec in found if rec.item.participant == participant]
    return found


def access_record(actor: Actor, source: str, ref: str) -> Record:
    """The record ``source``/``ref`` if the actor may read it; NotFound alike otherwise."""
    found = record(source, ref) if source in SOURCES else None
    own = actor_site(actor)
    if found is None or (own is not None and found.item.site != own):
        raise NotFound("no such record")
    return found


def visible_visits(actor: Actor) -> QuerySet[MonitoringVisit]:
    visits = MonitoringVisit.objects.select_related("site", "monitor")
    own = actor_site(actor)
    return visits.filter(site__code=own) if own is not None else visits


def access_visit(actor: Actor, visit_id: int) -> MonitoringVisit:
    found = visible_visits(actor).filter(pk=visit_id).first()
    if found is None:
        raise NotFound("no such monitoring visit")
    return found


def access_action_item(actor: Actor, item_id: int) -> ActionItem:
    found = ActionItem.objects.select_related("visit__site").filter(pk=item_id).first()
    own = actor_site(actor)
    if found is None or (own is not None and found.visit.site.code != own):
        raise NotFound("no such action item")
    return found


def record_title(rec: Record, language: str) -> str:
    """The record's form title (a form entry), else its subject."""
    protocol = get_protocol()
    item = rec.item
    if item.source == "form":
        form = next((f for f in protocol.forms if f.code == item.form), None)
        if form is not None:
            return form.title.text(language)
    return subject(rec)


def record_name(rec: Record, language: str) -> str:
    """A record as a person reads it: the participant, the visit's and the form's names (or
    what the record is), in ``language``; ``subject`` is the same with codes, for the API and
    the lock checklist."""
    protocol = get_protocol()
    item = rec.item
    if item.source == "form":
        visit = next((v for v in protocol.visits if v.code == item.visit), None)
        seq = f" #{item.seq}" if item.seq != 1 else ""
        where = visit.title.text(language) if visit else item.visit
        return f"{item.participant} · {where} · {record_title(rec, language)}{seq}"
    with translation.override(language):
        if item.source == "consent":
            what = gettext("consent")
        elif item.source == "screening":
            what = gettext("screening")
        elif item.source == "discontinuation":
            what = gettext("death or withdrawal")
        else:
            return f"{item.participant} · AE-{item.seq}"
    return f"{item.participant} · {what}"


# the fields of the records that are not forms (consent, death or withdrawal, adverse event), by
# their names in the reader's language; a screening record's are the protocol's
RECORD_FIELD_LABELS = {
    "consent_date": gettext_lazy("Consent date"),
    "form_version": gettext_lazy("Consent document version"),
    "kind": gettext_lazy("What ended the participation"),
    "date": gettext_lazy("Date"), "reason": gettext_lazy("Reason"),
    "term": gettext_lazy("Term"), "onset_date": gettext_lazy("Onset date"),
    "end_date": gettext_lazy("End date"), "grade": gettext_lazy("Grade"),
    "relatedness": gettext_lazy("Relatedness"), "expectedness": gettext_lazy("Expectedness"),
    "action_taken": gettext_lazy("Action taken"), "outcome": gettext_lazy("Outcome"),
}
DISCONTINUATION_KINDS = {"died": gettext_lazy("Died"), "withdrew": gettext_lazy("Withdrew")}


def _protocol_field(rec: Record, name: str) -> Any:
    """The protocol's definition of a form's or a screening record's field, if it has one."""
    if rec.item.source == "form":
        form = next((f for f in get_protocol().forms if f.code == rec.item.form), None)
        return next((f for f in form.fields if f.code == name), None) if form else None
    if rec.item.source == "screening":
        return next((f for f in screening_fields(get_protocol()) if f.code == name), None)
    return None


def field_label(rec: Record, name: str, language: str) -> str:
    field = _protocol_field(rec, name)
    if field is not None:
        return field.label.text(language)
    with translation.override(language):
        if name in RECORD_FIELD_LABELS:
            return str(RECORD_FIELD_LABELS[name])
        if rec.item.source == SAFETY_EVENT and name in SAFETY_LABELS:  # a seriousness criterion
            return str(SAFETY_LABELS[name]).capitalize()
    return name.replace("_", " ")


def shown_value(rec: Record, name: str, language: str) -> str:
    """A record's value as the record's page shows it: a choice by its label, yes or no, a
    result below the assay's limit as "<5", a stored code (an outcome, a death) in words."""
    value = rec.values.get(name)
    with translation.override(language):
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        field = _protocol_field(rec, name)
        if field is not None and field.choices and isinstance(value, str):
            labels = {choice.code: choice.label.text(language) for choice in field.choices}
            return labels.get(value, value)
        if rec.item.source == "discontinuation" and name == "kind":
            return str(DISCONTINUATION_KINDS.get(value, value))
        if rec.item.source == SAFETY_EVENT and isinstance(value, str) and value in SAFETY_LABELS:
            return str(SAFETY_LABELS[value])
    return display_text(value)


def state_view(state: RecordState, language: str, *, fields: bool = False) -> dict[str, Any]:
    rec, item = state.record, state.record.item
    view: dict[str, Any] = {
        "key": item.key, "source": item.source, "ref": rec.ref, "participant": item.participant,
        "site": item.site, "visit": item.visit or None, "form": item.form or None,
        "seq": item.seq, "subject": subject(rec), "title": record_title(rec, language),
        "name": record_name(rec, language),
        "in_plan": state.planned is not None,
        "reason": state.planned.reason if state.planned else None,
        "full": bool(state.planned and state.planned.full),
        "draw": round(state.planned.draw, 6) if state.planned and state.planned.draw is not None
        else None,
        "state": state.state,
        "fields_verified": sum(1 for s in state.fields.values() if s == VERIFIED),
        "fields_total": len(state.fields),
    }
    if fields:
        view["fields"] = [field_view(state, name, language) for name in rec.fields]
    return view


def field_view(state: RecordState, name: str, language: str) -> dict[str, Any]:
    last = state.last.get(name)
    return {
        "field": name, "label": field_label(state.record, name, language),
        "value": state.record.values.get(name),
        # as the form page shows it: a result below the assay's limit reads "<5"
        "shown": shown_value(state.record, name, language), "state": state.fields[name],
        "last": None if last is None else {
            "status": last.status, "comment": last.comment, "visit": last.visit_id,
            "by": last.verified_by.get_username(), "at": _iso(last.verified_at)},
    }


def plan_view(actor: Actor, language: str, *, site: str | None = None,
              participant: str | None = None, state: str | None = None) -> dict[str, Any]:
    plan = get_protocol().monitoring
    found = states(visible_records(actor, site=site, participant=participant))
    if state:
        found = [s for s in found if s.state == state]
    return {
        "plan": None if plan is None else {
            "share": plan.share, "unit": plan.unit,
            "risk": None if plan.risk is None else plan.risk.model_dump(),
            "full_reasons": list(FULL_REASONS), "visit_interval_days": plan.visit_interval_days},
        "items": [state_view(s, language) for s in found],
    }


def _counts(group: list[RecordState]) -> dict[str, int]:
    counted = Counter(s.state for s in group)
    return {"planned": len(group), "full": sum(1 for s in group if s.planned.full),
            "sampled": sum(1 for s in group if not s.planned.full),
            **{name: counted.get(name, 0) for name in ITEM_STATES}}


def progress_view(actor: Actor) -> dict[str, Any]:
    """Planned records and how many are verified, per site and per participant."""
    found = states(visible_records(actor))
    by_site: dict[str, list[RecordState]] = {}
    by_participant: dict[str, list[RecordState]] = {}
    for s in found:
        by_site.setdefault(s.record.item.site, []).append(s)
        by_participant.setdefault(s.record.item.participant, []).append(s)
    sites = Site.objects.order_by("code").values_list("code", flat=True)
    own = actor_site(actor)
    plan = get_protocol().monitoring
    # the share sampled at each site now (raised at a site whose forms raise many queries)
    shares = current_shares(plan) if plan is not None else {}
    base = plan.share if plan is not None else None
    return {
        "total": _counts(found),
        "sites": [{"site": code, "share": shares.get(code, base), **visit_rhythm(code, plan),
                   **_counts(by_site.get(code, []))}
                  for code in sites if own in (None, code)],
        "participants": [{"participant": code, "site": group[0].record.item.site,
                          **_counts(group)} for code, group in sorted(by_participant.items())],
    }


def visit_rhythm(site: str, plan: Monitoring | None) -> dict[str, Any]:
    """A site's last visit done, its next planned one, and when the next is due by the
    protocol's interval: from the last visit done, else from the site's first participant."""
    visits = MonitoringVisit.objects.filter(site__code=site)
    last = (visits.filter(status=MonitoringVisit.DONE).order_by("-done_date", "-pk")
            .values_list("done_date", flat=True).first())
    planned = (visits.filter(status=MonitoringVisit.PLANNED).order_by("planned_date", "pk")
               .values_list("planned_date", flat=True).first())
    due = None
    if plan is not None:
        start = last
        if start is None:
            first = (Participant.objects.filter(site__code=site).order_by("created_at")
                     .values_list("created_at", flat=True).first())
            start = first.date() if first is not None else None
        if start is not None:
            due = start + dt.timedelta(days=plan.visit_interval_days)
    return {"last_visit": _iso(last), "next_planned": _iso(planned), "next_due": _iso(due),
            "visit_overdue": bool(due and due < clock.today()
                                  and (planned is None or planned > due))}


def finding_view(finding: Finding) -> dict[str, Any]:
    return {"id": finding.pk, "category": finding.category, "severity": finding.severity,
            "text": finding.text, "created_at": _iso(finding.created_at),
            "created_by": finding.created_by.get_username()}


def action_item_view(item: ActionItem) -> dict[str, Any]:
    return {"id": item.pk, "visit": item.visit_id, "finding": item.finding_id, "text": item.text,
            "owner": item.owner, "due_date": _iso(item.due_date), "status": item.status,
            "note": item.note, "created_at": _iso(item.created_at),
            "closed_at": _iso(item.closed_at),
            "closed_by": item.closed_by.get_username() if item.closed_by else None}


def visit_view(visit: MonitoringVisit, *, details: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": visit.pk, "site": visit.site.code, "kind": visit.kind, "status": visit.status,
        "planned_date": _iso(visit.planned_date), "done_date": _iso(visit.done_date),
        "monitor": visit.monitor.get_username(), "summary": visit.summary,
        "verifications": visit.verifications.count(),
    }
    if details:
        view["findings"] = [finding_view(f) for f in visit.findings.select_related(
            "created_by").order_by("pk")]
        view["action_items"] = [action_item_view(a) for a in visit.action_items.select_related(
            "closed_by").order_by("due_date", "pk")]
        verified = (visit.verifications.order_by("item", "field", "pk")
                    .values_list("item", "field", "status"))
        view["verified_records"] = sorted({item for item, _field, _status in verified})
        view["corrections"] = sorted({(item, field) for item, field, status in verified
                                      if status == NEEDS_CORRECTION})
    return view


def visits_view(actor: Actor) -> list[dict[str, Any]]:
    return [visit_view(v) for v in visible_visits(actor).order_by("-planned_date", "-pk")]
