"""Data capture's items of the lock checklist: open queries, missing, incomplete and unsigned forms.

Registered by ``CaptureConfig.ready``. Each check answers for one scope: a form (its own queries
and signature), a participant (everything of theirs) or the database (everyone). A form counts
once: a draft is "incomplete", not also "missing"; a form that exists is never "missing".

No check reads an allocation, a kit or a dispensing record, so no item depends on the arm.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from trialdesk.web.capture.completeness import completeness_at_their_sites
from trialdesk.web.capture.models import COMPLETE, DRAFT, FormInstance, Query
from trialdesk.web.core import clock
from trialdesk.web.core.lock_checklist import (
    DATABASE,
    FORM,
    ChecklistItem,
    LockScope,
    register_lock_check,
)
from trialdesk.web.trials.models import Participant

OPEN_QUERIES, MISSING_FORMS = "open_queries", "missing_forms"
INCOMPLETE_FORMS, UNSIGNED_FORMS = "incomplete_forms", "unsigned_forms"


def _forms(scope: LockScope) -> QuerySet[FormInstance]:
    forms = FormInstance.objects.select_related("participant")
    if scope.kind == FORM:
        return forms.filter(pk=scope.instance.pk)
    if scope.kind == DATABASE:
        return forms
    return forms.filter(participant=scope.participant)


def open_queries(scope: LockScope) -> list[ChecklistItem]:
    """Queries not closed: open ones, and answered ones the data manager has not closed yet."""
    queries = Query.objects.filter(status__in=(Query.OPEN, Query.ANSWERED)).select_related(
        "form_instance__participant")
    if scope.kind == FORM:
        queries = queries.filter(form_instance=scope.instance)
    elif scope.kind != DATABASE:
        queries = queries.filter(participant=scope.participant)
    return [ChecklistItem(OPEN_QUERIES, f"{q.form_instance.key} {q.field}",
                          f"query {q.pk}: {q.status}")
            for q in queries.order_by("participant__code", "pk")]


def missing_forms(scope: LockScope) -> list[ChecklistItem]:
    """Forms the schedule expects by today (the completeness report's rule) and nobody began."""
    if scope.kind == FORM:
        return []
    people = Participant.objects.all()
    if scope.kind != DATABASE:
        people = people.filter(pk=scope.participant.pk)
    rows = completeness_at_their_sites(people, today=clock.today())
    started = set(_forms(scope).filter(seq=1).values_list("participant__code", "visit", "form"))
    return [ChecklistItem(MISSING_FORMS, f"{code}/{row.visit}/{form}/1", f"site {row.site}")
            for row in rows for code, form in row.missing
            if (code, row.visit, form) not in started]


def incomplete_forms(scope: LockScope) -> list[ChecklistItem]:
    """Forms begun and saved as drafts."""
    return [ChecklistItem(INCOMPLETE_FORMS, instance.key, "draft")
            for instance in _forms(scope).filter(status=DRAFT).order_by(
                "participant__code", "visit", "form", "seq")]


def unsigned_forms(scope: LockScope) -> list[ChecklistItem]:
    """Complete forms without the investigator's signature (never signed, or voided by a change)."""
    return [ChecklistItem(UNSIGNED_FORMS, instance.key, f"version {instance.version}")
            for instance in _forms(scope).filter(status=COMPLETE, signed=False).order_by(
                "participant__code", "visit", "form", "seq")]


def register() -> None:
    # labels in English (stored in snapshots and audit records); the pages translate them
    register_lock_check(OPEN_QUERIES, gettext_noop("Open queries"), open_queries)
    register_lock_check(MISSING_FORMS, gettext_noop("Missing expected forms"), missing_forms)
    register_lock_check(INCOMPLETE_FORMS, gettext_noop("Incomplete (draft) forms"),
                        incomplete_forms)
    register_lock_check(UNSIGNED_FORMS, gettext_noop("Unsigned forms"), unsigned_forms)
