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
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.http import HttpResponse

from trialdesk.web.core.actor import Actor, require
from trialdesk.web.core.errors import Conflict, NotFound
from trialdesk.web.core.locks import database_lock_id
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.permissions import READ_AUDIT, READ_PARTICIPANTS
from trialdesk.web.redcap.actions import do_audit_redcap_read
from trialdesk.web.redcap.dictionary import ARM_NAME, ARM_NUMBER, RANDOMIZATION_FORM, Project
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


# REDCap's form rights (``forms``): 0 no access, 2 read only, 1 view and edit; export rights
# (``forms_export``): 0 no access, 1 the full data set (all this API exports: blinded anyway)
_NO_ACCESS, _EDIT, _READ_ONLY, _FULL_EXPORT = 0, 1, 2, 1


def _form_rights(project: Project, held: set[str]) -> tuple[str, str]:
    """The ``forms`` and ``forms_export`` columns as REDCap writes them: ``form:right`` pairs,
    comma-separated, in instrument order (``REDCapR::redcap_users_export`` splits them)."""
    reads = bool(held & {str(p) for p in READ_PARTICIPANTS})
    rights, exports = [], []
    for form in project.forms:
        if form == RANDOMIZATION_FORM:  # written by the randomization only
            right = _READ_ONLY if reads else _NO_ACCESS
        else:
            right = _EDIT if "enter_forms" in held else (_READ_ONLY if reads else _NO_ACCESS)
        rights.append(f"{form}:{right}")
        exports.append(f"{form}:{_FULL_EXPORT if reads else _NO_ACCESS}")
    return ",".join(rights), ",".join(exports)


def users(actor: Actor, project: Project) -> list[dict[str, Any]]:
    """The trial's accounts with what the API lets each do (``manage_users`` only)."""
    require(actor, "manage_users")
    rows = []
    memberships = Membership.objects.select_related("user", "site").order_by("user__username")
    for membership in memberships:
        user = membership.user
        held = {str(p) for p in actor.policy.role(membership.role).permissions}

        def flag(permission: str, held: set[str] = held) -> int:
            return int(permission in held)

        forms, forms_export = _form_rights(project, held)
        rows.append({
            "username": user.get_username(), "email": user.email,
            "firstname": user.first_name, "lastname": user.last_name, "expiration": "",
            "data_access_group": dag_name(membership.site.code) if membership.site else "",
            "data_access_group_id": membership.site_id or "",
            "design": 0, "user_rights": flag("manage_users"),
            "data_access_groups": flag("manage_sites"),
            "api_export": int(flag("read") or flag("screen")), "api_import": flag("enter_forms"),
            "data_export": flag("blinded_export"), "logging": int(flag("read_audit")),
            "lock_records": flag("lock"), "record_create": flag("screen"),
            "record_rename": 0, "record_delete": 0, "randomize": flag("randomize"),
            "active": int(user.is_active), "forms": forms, "forms_export": forms_export,
        })
    return rows


_MIDNIGHT_24 = re.compile(r"^(?P<day>\d{4}-\d{2}-\d{2})[ T]24:00(:00)?$")
_DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _moment(params: Params, name: str) -> tuple[dt.datetime, bool] | None:
    """A time bound of the log: ``YYYY-MM-DD HH:MM`` (seconds optional, UTC unless it says),
    ``YYYY-MM-DD 24:00`` (what ``REDCapR::redcap_log_read`` sends as the end of its last day:
    the next day's 00:00) or a date alone (a begin: its 00:00; an end: the whole day, to 24:00).
    Also whether the bound is exclusive: an end at 24:00 closes the day it ends, not the next."""
    text = params.text(name)
    if not text:
        return None
    day_end = _MIDNIGHT_24.match(text)
    whole_day = _DAY_ONLY.match(text) is not None
    try:
        if day_end is not None:
            moment = dt.datetime.fromisoformat(day_end["day"]) + dt.timedelta(days=1)
        else:
            moment = dt.datetime.fromisoformat(text)
            if whole_day and name == "endTime":
                moment += dt.timedelta(days=1)
    except ValueError:
        raise RedcapError(400, f"{name}: must be a time as YYYY-MM-DD HH:MM (or YYYY-MM-DD, "
                               "or YYYY-MM-DD 24:00 for the end of a day)") from None
    exclusive = name == "endTime" and (day_end is not None or whole_day)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)), exclusive


def log_rows(actor: Actor, params: Params) -> Iterator[dict[str, str]]:
    """The audit trail as REDCap's log, newest first, filtered by record, user and time.

    A reader of the redacted trail (every blinded one) gets the trail's own redaction, and the
    time filters reach a pharmacy record by its day only: a window of minutes would otherwise
    say when a kit was dispensed (the readable records already hold no pharmacy record of
    today). Checks, filters and the audit record come first: only the rows are read lazily.
    """
    require(actor, READ_AUDIT)
    for unsupported, instead in (("logtype", "record and user"), ("dag", "record and user")):
        if params.text(unsupported):  # refused, not ignored: the script would take all for it
            raise RedcapError(400, f"{unsupported}: is not supported by this server; filter "
                                   f"the log by {instead} and time")
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
    for given, lookup in ((begin, "gte"), (end, "lte")):
        if given is None:
            continue
        bound, exclusive = given
        at_lookup = "lt" if exclusive else lookup
        # a pharmacy record is reached by its day: the day an exclusive end closes is the one
        # before it (24:00 of a day is the next day's 00:00)
        day = (bound - dt.timedelta(microseconds=1) if exclusive else bound).astimezone(
            dt.UTC).date()
        if full:
            records = records.filter(**{f"at__{at_lookup}": bound})
        else:
            records = records.filter(
                Q(pharmacy=0, **{f"at__{at_lookup}": bound})
                | Q(pharmacy=1, **{f"day__{lookup}": day}))
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


def log_body(actor: Actor, params: Params, fmt: str, delimiter: str = ",") -> Iterator[str]:
    columns = ("timestamp", "username", "action", "details", "record")
    return rows_body(log_rows(actor, params), fmt, columns, delimiter=delimiter)


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
