"""The audit trail in words, for people: action names, what was changed (a form field's label,
choice labels, yes/no), old and new value side by side.

What a reader may see is decided before this (``audit_trail.record_view``); this only words it.
The API and the exports keep the records as stored (codes, ISO 8601 times).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trialdesk.protocol import Protocol
from trialdesk.protocol.capture import Form, FormField

ACTION_LABELS = {
    "add_monitoring_action_item": gettext_lazy("Monitoring action item added"),
    "add_monitoring_finding": gettext_lazy("Monitoring finding added"),
    "amend_protocol": gettext_lazy("Protocol amended"),
    "answered": gettext_lazy("Query answered"),
    "close_deviation": gettext_lazy("Deviation closed"),
    "close_query": gettext_lazy("Query closed"),
    "closed": gettext_lazy("Closed"),
    "code_adverse_event": gettext_lazy("Adverse event coded"),
    "commit_allocation_list": gettext_lazy("Allocation list committed"),
    "confirm_lock_override": gettext_lazy("Lock override confirmed"),
    "consent": gettext_lazy("Consent recorded"),
    "correct_screening": gettext_lazy("Screening corrected"),
    "create_dsmb_meeting": gettext_lazy("DSMB meeting created"),
    "create_dummy_allocation": gettext_lazy("Dummy allocation created"),
    "create_site": gettext_lazy("Site created"),
    "create_user": gettext_lazy("User created"),
    "deactivate_user": gettext_lazy("User deactivated"),
    "decide_lot_release": gettext_lazy("Lot release decided"),
    "discontinue": gettext_lazy("Participant discontinued"),
    "dispense": gettext_lazy("Kit dispensed"),
    "dsmb_safety_signal": gettext_lazy("DSMB safety signal"),
    "emergency_unblind": gettext_lazy("Emergency unblinding"),
    "final_unblind": gettext_lazy("Final unblinding"),
    "finish_export": gettext_lazy("Export finished"),
    "finish_simulation": gettext_lazy("Simulation finished"),
    "follow_up_adverse_event": gettext_lazy("Adverse event follow-up"),
    "forget_export": gettext_lazy("Export removed"),
    "forget_simulation": gettext_lazy("Simulation removed"),
    "generate_dsmb_report": gettext_lazy("DSMB report generated"),
    "import_study": gettext_lazy("Registry record imported"),
    "issue_redcap_token": gettext_lazy("REDCap API token issued"),
    "issue_token": gettext_lazy("API token issued"),
    "load_dictionary": gettext_lazy("Coding dictionary loaded"),
    "lock": gettext_lazy("Locked"),
    "login": gettext_lazy("Signed in"),
    "login_failed": gettext_lazy("Failed sign-in"),
    "logout": gettext_lazy("Signed out"),
    "plan_monitoring_visit": gettext_lazy("Monitoring visit planned"),
    "prepare_kit": gettext_lazy("Kit prepared"),
    "raise_query": gettext_lazy("Query raised"),
    "raised": gettext_lazy("Query raised"),
    "randomize": gettext_lazy("Randomized"),
    "receive_shipment": gettext_lazy("Shipment received"),
    "record_custody": gettext_lazy("Custody hand-over recorded"),
    "record_kit_lot": gettext_lazy("Kit's lot recorded"),
    "record_lot_results": gettext_lazy("Lot test results recorded"),
    "record_protocol_version": gettext_lazy("Protocol version recorded"),
    "record_recommendation": gettext_lazy("DSMB recommendation recorded"),
    "record_site_approval": gettext_lazy("Site's ethics approval recorded"),
    "redcap_read": gettext_lazy("Data read through the REDCap API"),
    "register_lot": gettext_lazy("Lot registered"),
    "reopen_deviation": gettext_lazy("Deviation reopened"),
    "reopened": gettext_lazy("Reopened"),
    "report_adverse_event": gettext_lazy("Adverse event reported"),
    "report_deviation": gettext_lazy("Deviation reported"),
    "request_final_unblinding": gettext_lazy("Final unblinding requested"),
    "request_lock_override": gettext_lazy("Lock override requested"),
    "respond_dsmb_recommendation": gettext_lazy("Sponsor's response to the DSMB"),
    "revoke_redcap_token": gettext_lazy("REDCap API token revoked"),
    "save_form": gettext_lazy("Form saved"),
    "screen": gettext_lazy("Screened"),
    "set_language": gettext_lazy("Language changed"),
    "set_site_status": gettext_lazy("Site status changed"),
    "ship_kits": gettext_lazy("Kits shipped"),
    "sign_dsmb_recommendation": gettext_lazy("DSMB recommendation signed"),
    "sign_form": gettext_lazy("Form signed"),
    "start_export": gettext_lazy("Export started"),
    "start_simulation": gettext_lazy("Simulation started"),
    "unlock": gettext_lazy("Unlocked"),
    "update_adverse_event": gettext_lazy("Adverse event updated"),
    "update_deviation": gettext_lazy("Deviation updated"),
    "update_monitoring_action_item": gettext_lazy("Monitoring action item updated"),
    "update_monitoring_visit": gettext_lazy("Monitoring visit updated"),
    "verify_source_data": gettext_lazy("Source data verified"),
    "visit_not_done": gettext_lazy("Visit recorded as not done"),
    "void_signature": gettext_lazy("Signature voided"),
}
# actions whose code ends with a variable part (consent_withdrawal, quarantine_released, ...)
ACTION_PREFIXES = {
    "consent_": gettext_lazy("Consent event"),
    "quarantine_": gettext_lazy("Quarantine resolved"),
    "safety_alert_": gettext_lazy("Safety alert"),
    "dsmb_signal_alert_": gettext_lazy("DSMB signal alert"),
}
ACTION_SUFFIXES = {"_lock_override": gettext_lazy("Lock override")}

MODEL_LABELS = {
    "adverse_event": gettext_lazy("Adverse event"),
    "allocation_list": gettext_lazy("Allocation list"),
    "api_token": gettext_lazy("API token"),
    "deviation": gettext_lazy("Deviation"),
    "dsmb_meeting": gettext_lazy("DSMB meeting"),
    "dsmb_recommendation": gettext_lazy("DSMB recommendation"),
    "dsmb_report": gettext_lazy("DSMB report"),
    "dsmb_safety_signal": gettext_lazy("DSMB safety signal"),
    "dsmb_signal_alert": gettext_lazy("DSMB signal alert"),
    "dummy_allocation": gettext_lazy("Dummy allocation"),
    "export_job": gettext_lazy("Export"),
    "final_unblinding": gettext_lazy("Final unblinding"),
    "form_instance": gettext_lazy("Form"),
    "kit": gettext_lazy("Kit"),
    "lot": gettext_lazy("Lot"),
    "meddra": gettext_lazy("MedDRA dictionary"),
    "monitoring_action_item": gettext_lazy("Monitoring action item"),
    "monitoring_finding": gettext_lazy("Monitoring finding"),
    "monitoring_record": gettext_lazy("Source data verification"),
    "monitoring_visit": gettext_lazy("Monitoring visit"),
    "participant": gettext_lazy("Participant"),
    "protocol_version": gettext_lazy("Protocol version"),
    "query": gettext_lazy("Query"),
    "redcap_api": gettext_lazy("REDCap API"),
    "redcap_token": gettext_lazy("REDCap API token"),
    "registry_study": gettext_lazy("Registry record"),
    "safety_alert": gettext_lazy("Safety alert"),
    "shipment": gettext_lazy("Shipment"),
    "signature": gettext_lazy("Signature"),
    "simulation_job": gettext_lazy("Simulation"),
    "site": gettext_lazy("Site"),
    "site_approval": gettext_lazy("Site approval"),
    "user": gettext_lazy("User"),
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
    form = _form_of(record, protocol)
    if form is None:
        return f"{what} {record.get('object_id', '')}".strip()
    participant, visit_code, _form, *rest = str(record["object_id"]).split("/")
    visit = next((v.title.text(language) for v in protocol.visits if v.code == visit_code),
                 visit_code)
    entry = f" #{rest[0]}" if rest and rest[0] not in ("", "1") else ""
    return f"{what}: {participant} · {visit} · {form.title.text(language)}{entry}"


def _field(form: Form | None, code: str) -> FormField | None:
    if form is None:
        return None
    return next((field for field in form.fields if field.code == code), None)


def display_value(value: Any, field: FormField | None, language: str) -> str:
    """A stored value as people read it: choice labels, yes/no, an empty value as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        labels = {choice.code: choice.label.text(language) for choice in field.choices}
        if isinstance(value, list):
            return ", ".join(labels.get(str(item), str(item)) for item in value)
        return labels.get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(display_value(item, None, language) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {display_value(item, None, language)}"
                         for key, item in value.items())
    if isinstance(value, float):
        return formats.localize(value)
    return str(value)


def change_rows(record: dict[str, Any], protocol: Protocol, language: str) -> list[ChangeRow]:
    """The record's changes as rows of label, code, old and new value."""
    form = _form_of(record, protocol)
    rows = []
    for code, change in (record.get("changes") or {}).items():
        field = _field(form, code)
        label = field.label.text(language) if field else code.replace("_", " ").capitalize()
        if isinstance(change, dict) and change and set(change) <= {"old", "new"}:
            old, new = change.get("old"), change.get("new")
        else:  # a value recorded as it was set, without a before
            old, new = None, change
        rows.append(ChangeRow(label, code, display_value(old, field, language),
                              display_value(new, field, language)))
    return rows


def when(value: str) -> str:
    """An audit time as the reader's language writes it (a day-only value stays a day)."""
    if len(value) == 10:
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    moment = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    return formats.date_format(moment.date(), "SHORT_DATE_FORMAT") + moment.strftime(" %H:%M:%S")
