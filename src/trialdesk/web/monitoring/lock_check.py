"""The lock checklist's "unverified_sdv" check: planned records not verified, needing correction,
or changed since their verification, within what a lock covers. Names records, never an arm."""

from __future__ import annotations

from trialdesk.monitoring.sdv_plan import CONSENT, DISCONTINUATION, FORM, SCREENING
from trialdesk.monitoring.verification import VERIFIED
from trialdesk.web.core.lock_checklist import FORM as FORM_SCOPE
from trialdesk.web.core.lock_checklist import PARTICIPANT, ChecklistItem, LockScope
from trialdesk.web.monitoring.records import Record, records
from trialdesk.web.monitoring.status import states

CODE = "unverified_sdv"


def subject(rec: Record) -> str:
    """A record as a checklist or a page names it: ``CO01-0001 day7 vital_signs``."""
    item = rec.item
    if item.source == FORM:
        seq = f" #{item.seq}" if item.seq != 1 else ""
        return f"{item.participant} {item.visit} {item.form}{seq}"
    if item.source in (CONSENT, SCREENING, DISCONTINUATION):
        return f"{item.participant} {item.source}"
    return f"{item.participant} AE-{item.seq}"


def find_unverified(scope: LockScope) -> list[ChecklistItem]:
    """The planned records within ``scope`` whose verification is not complete and current."""
    if scope.kind == FORM_SCOPE:
        found = records(form_instance=scope.instance)
    elif scope.kind == PARTICIPANT:
        found = records(participant=scope.participant)
    else:
        found = records()
    outstanding = []
    for state in states(found, rows=False):
        if state.state == VERIFIED:
            continue
        pending = sorted(name for name, value in state.fields.items() if value != VERIFIED)
        outstanding.append(ChecklistItem(
            CODE, subject(state.record),
            f"{state.state.replace('_', ' ')}: {', '.join(pending)}"))
    return outstanding
