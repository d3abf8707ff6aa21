"""The audit trail in words, for people: action names, what was changed (a form field's label,
choice labels, yes/no), old and new value side by side.

What a reader may see is decided before this (``audit_trail.record_view``); this only words it.
The API and the exports keep the records as stored (codes, ISO 8601 times).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from trialdesk.protocol import Protocol
from trialdesk.protocol.capture import Form, FormField
from trialdesk.web.core.timezones import local_time

ACTION_LABELS = {
    # the administration pages and the delegation log (issue 20)
    "update_site": pgettext_lazy("audit action", "Site settings changed"),
    "record_delegation": pgettext_lazy("audit action", "Delegation recorded"),
    "sign_delegation": pgettext_lazy("audit action", "Delegation signed"),
    "end_delegation": pgettext_lazy("audit action", "Delegation ended"),
    "record_training": pgettext_lazy("audit action", "Training recorded"),
    "reset_password": pgettext_lazy("audit action", "Password reset by the administrator"),
    "force_password_change": pgettext_lazy("audit action", "Password change required"),
    "change_password": pgettext_lazy("audit action", "Password changed"),
    # several roles per person and two-factor sign-in (issue 20)
    "add_membership": pgettext_lazy("audit action", "Role added"),
    "deactivate_membership": pgettext_lazy("audit action", "Role deactivated"),
    "choose_role": pgettext_lazy("audit action", "Role chosen"),
    "enable_two_factor": pgettext_lazy("audit action", "Two-factor sign-in enabled"),
    "disable_two_factor": pgettext_lazy("audit action", "Two-factor sign-in disabled"),
    "reset_two_factor": pgettext_lazy("audit action",
                                      "Two-factor sign-in reset by the administrator"),
    "login_code_failed": pgettext_lazy("audit action", "Wrong sign-in code"),
    # a user's tokens for scripts, revoked when two-factor sign-in is turned on or reset
    "revoke_token": pgettext_lazy("audit action", "API token revoked"),
    "add_monitoring_action_item": pgettext_lazy("audit action", "Monitoring action item added"),
    "add_monitoring_finding": pgettext_lazy("audit action", "Monitoring finding added"),
    "amend_protocol": pgettext_lazy("audit action", "Protocol amended"),
    "answered": pgettext_lazy("audit action", "Query answered"),
    "answer_query": pgettext_lazy("audit action", "Query answered"),
    "close_deviation": pgettext_lazy("audit action", "Deviation closed"),
    "close_query": pgettext_lazy("audit action", "Query closed"),
    "closed": pgettext_lazy("audit action", "Closed"),
    "code_adverse_event": pgettext_lazy("audit action", "Adverse event coded"),
    "commit_allocation_list": pgettext_lazy("audit action", "Allocation list committed"),
    "confirm_lock_override": pgettext_lazy("audit action", "Lock override confirmed"),
    "consent": pgettext_lazy("audit action", "Consent recorded"),
    "correct_screening": pgettext_lazy("audit action", "Screening corrected"),
    "create_dsmb_meeting": pgettext_lazy("audit action", "DSMB meeting created"),
    "create_dummy_allocation": pgettext_lazy("audit action", "Dummy allocation created"),
    "create_site": pgettext_lazy("audit action", "Site created"),
    "create_user": pgettext_lazy("audit action", "User created"),
    "deactivate_user": pgettext_lazy("audit action", "User deactivated"),
    "decide_lot_release": pgettext_lazy("audit action", "Lot release decided"),
    "discontinue": pgettext_lazy("audit action", "Participant discontinued"),
    "dispense": pgettext_lazy("audit action", "Kit dispensed"),
    "dsmb_safety_signal": pgettext_lazy("audit action", "DSMB safety signal"),
    "emergency_unblind": pgettext_lazy("audit action", "Emergency unblinding"),
    "final_unblind": pgettext_lazy("audit action", "Final unblinding"),
    "finish_export": pgettext_lazy("audit action", "Export finished"),
    "finish_simulation": pgettext_lazy("audit action", "Simulation finished"),
    "follow_up_adverse_event": pgettext_lazy("audit action", "Adverse event follow-up"),
    "forget_export": pgettext_lazy("audit action", "Export removed"),
    "forget_simulation": pgettext_lazy("audit action", "Simulation removed"),
    "generate_dsmb_report": pgettext_lazy("audit action", "DSMB report generated"),
    "import_study": pgettext_lazy("audit action", "Registry record imported"),
    "issue_redcap_token": pgettext_lazy("audit action", "REDCap API token issued"),
    "issue_token": pgettext_lazy("audit action", "API token issued"),
    "load_dictionary": pgettext_lazy("audit action", "Coding dictionary loaded"),
    "lock": pgettext_lazy("audit action", "Locked"),
    "login": pgettext_lazy("audit action", "Signed in"),
    "login_failed": pgettext_lazy("audit action", "Failed sign-in"),
    "logout": pgettext_lazy("audit action", "Signed out"),
    "plan_monitoring_visit": pgettext_lazy("audit action", "Monitoring visit planned"),
    "prepare_kit": pgettext_lazy("audit action", "Kit prepared"),
    "raise_query": pgettext_lazy("audit action", "Query raised"),
    "raised": pgettext_lazy("audit action", "Query raised"),
    "randomize": pgettext_lazy("audit action", "Randomized"),
    "receive_shipment": pgettext_lazy("audit action", "Shipment received"),
    "record_custody": pgettext_lazy("audit action", "Custody hand-over recorded"),
    "record_infusion": pgettext_lazy("audit action", "Infusion recorded"),
    "record_kit_lot": pgettext_lazy("audit action", "Kit's lot recorded"),
    "record_lot_results": pgettext_lazy("audit action", "Lot test results recorded"),
    "record_protocol_version": pgettext_lazy("audit action", "Protocol version recorded"),
    "record_recommendation": pgettext_lazy("audit action", "DSMB recommendation recorded"),
    "record_site_approval": pgettext_lazy("audit action", "Site's ethics approval recorded"),
    "redcap_read": pgettext_lazy("audit action", "Data read through the REDCap API"),
    "register_lot": pgettext_lazy("audit action", "Lot registered"),
    "reopen_deviation": pgettext_lazy("audit action", "Deviation reopened"),
    "reopened": pgettext_lazy("audit action", "Reopened"),
    "replace_kit": pgettext_lazy("audit action", "Kit replaced"),
    "report_adverse_event": pgettext_lazy("audit action", "Adverse event reported"),
    "report_deviation": pgettext_lazy("audit action", "Deviation reported"),
    "request_final_unblinding": pgettext_lazy("audit action", "Final unblinding requested"),
    "request_lock_override": pgettext_lazy("audit action", "Lock override requested"),
    "respond_dsmb_recommendation": pgettext_lazy("audit action", "Sponsor's response to the DSMB"),
    "revoke_redcap_token": pgettext_lazy("audit action", "REDCap API token revoked"),
    "save_form": pgettext_lazy("audit action", "Form saved"),
    "screen": pgettext_lazy("audit action", "Screened"),
    "set_language": pgettext_lazy("audit action", "Language changed"),
    "set_site_status": pgettext_lazy("audit action", "Site status changed"),
    "ship_kits": pgettext_lazy("audit action", "Kits shipped"),
    "retry_email": pgettext_lazy("audit action", "E-mail sent again on request"),
    "sign_dsmb_recommendation": pgettext_lazy("audit action", "DSMB recommendation signed"),
    "sign_form": pgettext_lazy("audit action", "Form signed"),
    "start_export": pgettext_lazy("audit action", "Export started"),
    "start_simulation": pgettext_lazy("audit action", "Simulation started"),
    "unlock": pgettext_lazy("audit action", "Unlocked"),
    "update_adverse_event": pgettext_lazy("audit action", "Adverse event updated"),
    "update_deviation": pgettext_lazy("audit action", "Deviation updated"),
    "update_monitoring_action_item": pgettext_lazy("audit action",
                                                   "Monitoring action item updated"),
    "update_monitoring_visit": pgettext_lazy("audit action", "Monitoring visit updated"),
    "verify_source_data": pgettext_lazy("audit action", "Source data verified"),
    "visit_not_done": pgettext_lazy("audit action", "Visit recorded as not done"),
    "void_signature": pgettext_lazy("audit action", "Signature voided"),
    "create_schedule": pgettext_lazy("audit action", "Schedule created"),
    "stop_schedule": pgettext_lazy("audit action", "Schedule stopped"),
    "start_analysis_report": pgettext_lazy("audit action", "Analysis report requested"),
    "finish_analysis_report": pgettext_lazy("audit action", "Analysis report finished"),
    "forget_analysis_report": pgettext_lazy("audit action", "Old analysis report removed"),
    "start_dsmb_report": pgettext_lazy("audit action", "DSMB report requested"),
    "fail_dsmb_report": pgettext_lazy("audit action", "DSMB report failed"),
}
# actions whose code ends with a variable part (consent_withdrawal, quarantine_released, ...)
ACTION_PREFIXES = {
    "consent_": pgettext_lazy("audit action", "Consent event"),
    "quarantine_": pgettext_lazy("audit action", "Quarantine resolved"),
    "safety_alert_": pgettext_lazy("audit action", "Safety alert"),
    "dsmb_signal_alert_": pgettext_lazy("audit action", "DSMB signal alert"),
    "email_": pgettext_lazy("audit action", "E-mail delivery"),
    "queue_scheduled_": pgettext_lazy("audit action", "Scheduled run queued"),
    "scheduled_backup_": pgettext_lazy("audit action", "Scheduled backup"),
}
ACTION_SUFFIXES = {"_lock_override": pgettext_lazy("audit action", "Lock override")}

MODEL_LABELS = {
    "adverse_event": pgettext_lazy("audit record", "Adverse event"),
    "allocation_list": pgettext_lazy("audit record", "Allocation list"),
    "api_token": pgettext_lazy("audit record", "API token"),
    "deviation": pgettext_lazy("audit record", "Deviation"),
    "dsmb_meeting": pgettext_lazy("audit record", "DSMB meeting"),
    "dsmb_recommendation": pgettext_lazy("audit record", "DSMB recommendation"),
    "dsmb_report": pgettext_lazy("audit record", "DSMB report"),
    "dsmb_safety_signal": pgettext_lazy("audit record", "DSMB safety signal"),
    "dsmb_signal_alert": pgettext_lazy("audit record", "DSMB signal alert"),
    "dummy_allocation": pgettext_lazy("audit record", "Dummy allocation"),
    "export_job": pgettext_lazy("audit record", "Export"),
    "final_unblinding": pgettext_lazy("audit record", "Final unblinding"),
    "form_instance": pgettext_lazy("audit record", "Form"),
    "kit": pgettext_lazy("audit record", "Kit"),
    "lot": pgettext_lazy("audit record", "Lot"),
    "meddra": pgettext_lazy("audit record", "MedDRA dictionary"),
    "monitoring_action_item": pgettext_lazy("audit record", "Monitoring action item"),
    "monitoring_finding": pgettext_lazy("audit record", "Monitoring finding"),
    "monitoring_record": pgettext_lazy("audit record", "Source data verification"),
    "monitoring_visit": pgettext_lazy("audit record", "Monitoring visit"),
    "participant": pgettext_lazy("audit record", "Participant"),
    "protocol_version": pgettext_lazy("audit record", "Protocol version"),
    "query": pgettext_lazy("audit record", "Query"),
    "redcap_api": pgettext_lazy("audit record", "REDCap API"),
    "redcap_token": pgettext_lazy("audit record", "REDCap API token"),
    "registry_study": pgettext_lazy("audit record", "Registry record"),
    "safety_alert": pgettext_lazy("audit record", "Safety alert"),
    "shipment": pgettext_lazy("audit record", "Shipment"),
    "signature": pgettext_lazy("audit record", "Signature"),
    "simulation_job": pgettext_lazy("audit record", "Simulation"),
    "site": pgettext_lazy("audit record", "Site"),
    "site_approval": pgettext_lazy("audit record", "Site approval"),
    "user": pgettext_lazy("audit record", "User"),
}


@dataclass(frozen=True)
class ChangeRow:
    """One changed item: its name for people, its code, the values before and after."""

    label: str
    code: str
    old: str
    new: str


def action_label(code: str) -> str:
    """The action in words; an action not known here keeps its code, made readable."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    for prefix, label in ACTION_PREFIXES.items():
        if code.startswith(prefix):
            return f"{label} ({code.removeprefix(prefix).replace('_', ' ')})"
    for suffix, label in ACTION_SUFFIXES.items():
        if code.endswith(suffix):
            return f"{label} ({code.removesuffix(suffix).replace('_', ' ')})"
    return code.replace("_", " ").capitalize()


def model_label(code: str) -> str:
    return str(MODEL_LABELS.get(code, code.replace("_", " ").capitalize()))


def _form_of(record: dict[str, Any], protocol: Protocol) -> Form | None:
    """The form a form record is about (object id participant/visit/form/seq), if the protocol
    still has it."""
    if record.get("model") != "form_instance":
        return None
    parts = str(record.get("object_id", "")).split("/")
    if len(parts) < 3:
        return None
    try:
        return protocol.form(parts[2])
    except (KeyError, StopIteration, ValueError):
        return None


def record_label(record: dict[str, Any], protocol: Protocol, language: str) -> str:
    """What the record is about, in words: "Form: P-001 · Day 0 · Respiratory"."""
    what = model_label(str(record.get("model", "")))
    named = form_key_words(str(record.get("object_id", "")), protocol, language)
    if named is None:
        return f"{what} {record.get('object_id', '')}".strip()
    return f"{what}: {named}"


def form_key_words(key: str, protocol: Protocol, language: str) -> str | None:
    """A record key that names a form entry or a participant's record, in words:
    "P-001/day0/respiratory/1" -> "P-001 · Day 0 · Respiratory", "P-001/log/adverse_event/2"
    -> "P-001 · Adverse event #2", "P-001/consent" -> "P-001 · consent" (a source data
    verification's record); ``None`` for any other key."""
    parts = key.split("/")
    if len(parts) == 2 and parts[1] in RECORD_WORDS:
        return f"{parts[0]} · {RECORD_WORDS[parts[1]]}"
    if len(parts) == 3 and parts[1] == "adverse_event" and parts[2].isdigit():
        return f"{parts[0]} · AE-{parts[2]}"  # an adverse event, as its pages name it
    if len(parts) < 3:
        return None
    participant, visit_code, form_code, *rest = parts
    form = next((f for f in protocol.forms if f.code == form_code), None)
    if form is None:
        return None
    entry = f" #{rest[0]}" if rest and rest[0] not in ("", "1") else ""
    if visit_code == "log":  # a log form (adverse events, medications): no visit of its own
        return f"{participant} · {form.title.text(language)}{entry}"
    visit = next((v.title.text(language) for v in protocol.visits if v.code == visit_code),
                 visit_code)
    return f"{participant} · {visit} · {form.title.text(language)}{entry}"


def _field(form: Form | None, code: str) -> FormField | None:
    if form is None:
        return None
    return next((field for field in form.fields if field.code == code), None)


# what a participant's record other than a form is, as a verification's key names it
RECORD_WORDS = {
    "consent": pgettext_lazy("audit record", "consent"),
    "screening": pgettext_lazy("audit record", "screening"),
    "discontinuation": pgettext_lazy("audit record", "death or withdrawal"),
}
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?")
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# a stored state or kind ("not_verified", "planned"): a code, read as its words when the
# catalogues have them ("not verified" -> "sin verificar")
CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def _words(code: str, *, capitalized: bool) -> str:
    """A code's words in the reader's language where the catalogues have them, else the
    code's words as they are ("due_date" -> "Due date" -> "Fecha límite"). The trials
    catalogue holds the words of the change keys no page names otherwise ("Done date")."""
    words = code.replace("_", " ")
    words = words.capitalize() if capitalized else words
    return _(words)


def display_value(value: Any, field: FormField | None, language: str) -> str:
    """A stored value as people read it: choice labels, yes/no, an empty value as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices and str(value) in {c.code for c in field.choices}:
        return next(c.label.text(language) for c in field.choices if c.code == str(value))
    if field is not None and field.choices and isinstance(value, list):
        labels = {choice.code: choice.label.text(language) for choice in field.choices}
        return ", ".join(labels.get(str(item), str(item)) for item in value)
    if isinstance(value, list):
        return ", ".join(display_value(item, None, language) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {display_value(item, None, language)}"
                         for key, item in value.items())
    if isinstance(value, float):
        return formats.localize(value)
    if isinstance(value, str) and CODE.fullmatch(value):
        return _words(value, capitalized=False)
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value) and "T" in value:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return local_time(moment) if moment.tzinfo else formats.date_format(
            moment, "SHORT_DATETIME_FORMAT")
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    return str(value)


def change_rows(record: dict[str, Any], protocol: Protocol, language: str) -> list[ChangeRow]:
    """The record's changes as rows of label, code, old and new value."""
    form = _form_of(record, protocol)
    # a record of another kind names a form's fields too (a source data verification)
    fields = protocol.all_fields()
    rows = []
    for code, change in (record.get("changes") or {}).items():
        field = _field(form, code) or (fields.get(code) if form is None else None)
        label = field.label.text(language) if field else _words(code, capitalized=True)
        if isinstance(change, dict) and change and set(change) <= {"old", "new"}:
            old, new = change.get("old"), change.get("new")
        else:  # a value recorded as it was set, without a before
            old, new = None, change
        shown = [display_value(value, field, language) for value in (old, new)]
        if code == "field":  # a query's field: its label
            shown = [fields[value].label.text(language)
                     if isinstance(value, str) and value in fields else text
                     for value, text in zip((old, new), shown, strict=True)]
        elif code == "form":  # a query's form entry: its visit and form by name
            shown = [form_key_words(value, protocol, language) or text
                     if isinstance(value, str) else text
                     for value, text in zip((old, new), shown, strict=True)]
        rows.append(ChangeRow(label, code, *shown))
    return rows


def when(value: str) -> str:
    """An audit time in the reader's zone with its offset, as the reader's language writes it
    (a blinded reader's day-only pharmacy record stays a day: the day in UTC)."""
    if len(value) == 10:
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    return local_time(dt.datetime.fromisoformat(value))
