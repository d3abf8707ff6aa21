"""The REDCap API's methods other than record export and import: the project's structure, users,
the log, the randomization and the (refused) record deletion.

The structure (metadata, instruments, events, arm, form-event mapping, sites) holds no clinical
data and no allocation, so any role with a token reads it. Users need ``manage_users``; the log
needs the audit trail's permission and reads it through ``trials.audit_trail``, the rules the
trail's page and JSON API follow (a blinded reader sees a pharmacy record's day, not its time).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.http import HttpResponse

from trialdesk.web.core.actor import Actor, require
from trialdesk.web.core.errors import Conflict, NotFound
from trialdesk.web.core.locks import database_lock_id
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.permissions import READ_AUDIT
from trialdesk.web.redcap.actions import do_audit_redcap_read
from trialdesk.web.redcap.dictionary import ARM_NAME, ARM_NUMBER, Project
from trialdesk.web.redcap.export import dag_name
from trialdesk.web.redcap.wire import Params, RedcapError, rows_body
from trialdesk.web.trials import audit_trail
from trialdesk.web.trials.access import access_participant_by_code, may_see_arm
from trialdesk.web.trials.actions import do_randomize
from trialdesk.web.trials.models import Randomization

REDCAP_VERSION = "14.7.0"  # the REDCap whose API this answers (record randomization: 14.7)


def project_info(project: Project) -> dict[str, Any]:
    registry = project.protocol.registry
    return {
        "project_id": 1, "project_title": registry.brief_title.text("en"),
        "creation_time": "", "production_time": "", "in_production": 1,
        "project_language": "English", "purpose": 2, "purpose_other": "",
        "project_notes": registry.nct_id, "custom_record_label": "",
        "secondary_unique_field": "", "is_longitudinal": 1,
        "has_repeating_instruments_or_events": int(any(e.repeating for e in project.events)),
        "surveys_enabled": 0, "scheduling_enabled": 0, "record_autonumbering_enabled": 0,
        "randomization_enabled": 1, "ddp_enabled": 0, "project_irb_number": "",
        "project_grant_number": "", "project_pi_firstname": "", "project_pi_lastname": "",
        "display_today_now_button": 1, "missing_data_codes": "", "external_modules": "",
        "bypass_branching_erase_field_prompt": 0,
    }


def instruments(project: Project) -> list[dict[str, str]]:
    return [{"instrument_name": form, "instrument_label": project.form_label(form)}
            for form in project.forms]


def arms() -> list[dict[str, Any]]:
    """One REDCap arm: the trial's arms are its blinded groups, never REDCap arms."""
    return [{"arm_num": ARM_NUMBER, "name": ARM_NAME}]


def events(project: Project) -> list[dict[str, Any]]:
    return [{"event_name": e.label, "arm_num": ARM_NUMBER, "unique_event_name": e.unique_name,
             "custom_event_label": "", "event_id": index, "day_offset": e.day,
             "offset_min": e.offset_min, "offset_max": e.offset_max}
            for index, e in enumerate(project.events, start=1)]


def form_event_mapping(project: Project) -> list[dict[str, Any]]:
    return [{"arm_num": ARM_NUMBER, "unique_event_name": e.unique_name, "form": form}
            for e in project.events for form in e.forms]


def repeating_forms(project: Project) -> list[dict[str, str]]:
    return [{"event_name": e.unique_name, "form_name": form, "custom_form_label": ""}
            for e in project.events if e.repeating for form in e.forms]


def dags() -> list[dict[str, Any]]:
    """The sites, as data access groups."""
    return [{"data_access_group_name": site.name, "unique_group_name": dag_name(site.code),
             "data_access_group_id": site.pk} for site in Site.objects.order_by("code")]


def users(actor: Actor) -> list[dict[str, Any]]:
    """The trial's accounts with what the API lets each do (``manage_users`` only)."""
    require(actor, "manage_users")
    rows = []
    memberships = Membership.objects.select_related("user", "site").order_by("user__username")
    for membership in memberships:
        user = membership.user
        held = {str(p) for p in actor.policy.role(membership.role).permissions}

        def flag(permission: str, held: set[str] = held) -> int:
            return int(permission in held)

        rows.append({
            "username": user.get_username(), "email": user.email,
            "firstname": user.first_name, "lastname": user.last_name, "expiration": "",
            "data_access_group": dag_name(membership.site.code) if membership.site else "",
            "data_access_group_id": membership.site_id or "",
            "api_export": int(flag("read") or flag("screen")), "api_import": flag("enter_forms"),
            "data_export": flag("blinded_export"), "logging": int(flag("read_audit")),
            "lock_records": flag("lock"), "user_rights": flag("manage_users"),
            "record_create": flag("screen"), "record_delete": 0, "randomize": flag("randomize"),
            "active": int(user.is_active),
        })
    return rows


def _moment(params: Params, name: str) -> dt.datetime | None:
    text = params.text(name)
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RedcapError(400, f"{name}: must be a time as YYYY-MM-DD HH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def log_rows(actor: Actor, params: Params) -> Iterator[dict[str, str]]:
    """The audit trail as REDCap's log, newest first, filtered by record, user and time.

    A reader of the redacted trail (every blinded one) gets the trail's own redaction, and the
    time filters reach a pharmacy record by its day only: a window of minutes would otherwise
    say when a kit was dispensed (the readable records already hold no pharmacy record of
    today). Checks, filters and the audit record come first: only the rows are read lazily.
    """
    require(actor, READ_AUDIT)
    full = audit_trail.reads_full_trail(actor)
    records = audit_trail.readable_records(actor, newest_first=True)
    begin, end = _moment(params, "beginTime"), _moment(params, "endTime")
    record, user = params.text("record"), params.text("user")
    do_audit_redcap_read(actor, content="log", request={
        "record": record, "user": user, "beginTime": params.text("beginTime"),
        "endTime": params.text("endTime")})
    if record:
        records = records.filter(Q(object_id=record) | Q(object_id__startswith=f"{record}/"))
    if user:
        records = records.filter(actor=user)
    for bound, lookup in ((begin, "gte"), (end, "lte")):
        if bound is None:
            continue
        if full:
            records = records.filter(**{f"at__{lookup}": bound})
        else:
            records = records.filter(
                Q(pharmacy=0, **{f"at__{lookup}": bound})
                | Q(pharmacy=1, **{f"day__{lookup}": bound.astimezone(dt.UTC).date()}))
    return _log_view(records, full=full)


def _log_view(records: Any, *, full: bool) -> Iterator[dict[str, str]]:
    for entry in records.iterator(chunk_size=1000):
        view = audit_trail.record_view(entry, full=full)
        at = view["at"]
        timestamp = at if len(at) == 10 else dt.datetime.fromisoformat(at).astimezone(
            dt.UTC).strftime("%Y-%m-%d %H:%M")
        code = entry.object_id.split("/")[0] if entry.model in (
            "participant", "form_instance") else ""
        yield {"timestamp": timestamp, "username": view["actor"],
               "action": f"{view['action']} {view['model']} {view['object_id']}".strip(),
               "details": json.dumps(view["changes"], ensure_ascii=False, sort_keys=True)
               + (f" (reason: {view['reason']})" if view["reason"] else ""),
               "record": code}


def log_body(actor: Actor, params: Params, fmt: str) -> Iterator[str]:
    columns = ("timestamp", "username", "action", "details", "record")
    return rows_body(log_rows(actor, params), fmt, columns)


def randomize(actor: Actor, params: Params) -> dict[str, Any]:
    """``action=randomize``: trialdesk's own randomization of the record; the randomization
    number in ``target_field``; with ``returnAlt``, the group for a caller who may see it and
    ``*`` for everyone else (every blinded caller)."""
    code = params.text("record")
    if not code:
        raise RedcapError(400, "record: is required to randomize")
    rand_id = params.text("randomization_id") or "1"
    if rand_id != "1":
        raise RedcapError(400, f"randomization_id: the project has one randomization (1), "
                               f"not {rand_id!r}")
    participant = access_participant_by_code(actor, code)
    result = do_randomize(actor, participant)
    answer: dict[str, Any] = {"record": code, "randomization_id": 1,
                              "target_field": result.randomization_number}
    if params.flag("returnAlt"):
        shown = "*"
        if may_see_arm(actor, participant):
            shown = Randomization.objects.filter(participant=participant).values_list(
                "slot__arm", flat=True).first() or "*"
        answer["target_field_alt"] = shown
    return answer


def refuse_delete(actor: Actor, params: Params) -> None:
    """Records are never deleted: the trial keeps every participant and value it collected
    (an error is corrected, a participant withdrawn, with a reason). So the delete method is
    refused always, after a lock as before one, and says so."""
    named = params.array("records")
    for code in named:
        try:
            access_participant_by_code(actor, code)
        except NotFound:
            raise RedcapError(400, f"records: no record {code}") from None
    if database_lock_id() is not None:
        raise Conflict("database_locked", "the database is locked: no trial data may change "
                                          "(and records are never deleted)")
    raise RedcapError(403, "records are never deleted in trialdesk: correct a value with a "
                           "reason, or record the participant's withdrawal or discontinuation")


def version_response() -> HttpResponse:
    return HttpResponse(REDCAP_VERSION, content_type="text/plain; charset=utf-8")
