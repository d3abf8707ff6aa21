"""Issue 13: ``do_verify_records``, several records verified at one visit in one call (the
simulated trial's monitoring visits), stores and audits each record as ``do_verify`` does."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from faults import fail_audit_anchor_at
from monitoring_kit import MONITOR, form_ref, participant_with_forms, plan_visit

from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.monitoring.actions import do_verify, do_verify_records
from trialdesk.web.monitoring.models import MonitoringVisit, Verification
from trialdesk.web.monitoring.records import record


def _records(code):
    return [record("form", form_ref(code)), record("form", form_ref(code, form="vital_signs")),
            record("consent", code)]


def _audited(code, since):
    """Each verification's audit record of ``code``'s records, its participant's code left out
    (so that two participants' records compare), in the order they were written."""
    return [(r.action, r.actor, r.object_id.removeprefix(code), r.changes, r.reason)
            for r in AuditRecord.objects.filter(seq__gt=since, object_id__startswith=code)
            .order_by("seq")]


def _stored(code):
    return sorted((v.item.removeprefix(code), v.field, v.status, v.value_hash, v.comment)
                  for v in Verification.objects.filter(participant__code=code))


def test_records_verified_together_are_stored_and_audited_as_one_by_one(trial):
    monitor = actor_for(User.objects.get(username=MONITOR))
    visit = MonitoringVisit.objects.get(pk=plan_visit(trial))
    one, together = participant_with_forms(trial), participant_with_forms(trial)
    head = AuditRecord.objects.order_by("-seq").first().seq
    chosen = [["pao2", "fio2"], None, None]  # some fields of one record, all of the others
    for rec, fields in zip(_records(one), chosen, strict=True):
        do_verify(monitor, visit, rec, status="verified", fields=fields)
    records = _records(together)
    made = do_verify_records(monitor, visit, list(zip(records, chosen, strict=True)))
    # respiratory's two chosen fields, every field of the vital signs and of the consent
    assert len(made) == 2 + len(records[1].fields) + len(records[2].fields)
    assert _audited(together, head) == _audited(one, head)
    assert len(_audited(one, head)) == 3
    assert _stored(together) == _stored(one)
    # then the rest of the first record: its audit record says what was verified before
    do_verify_records(monitor, visit, [(record("form", form_ref(together)), None)])
    last = AuditRecord.objects.order_by("-seq").first()
    assert last.changes == {
        name: {"old": "not_verified", "new": "verified"} for name in ("peep", "ventilation_mode")
    } | {"pao2": {"old": "verified", "new": "verified"},
         "fio2": {"old": "verified", "new": "verified"},
         "visit": {"old": None, "new": visit.pk}}


@pytest.mark.parametrize("problem", ["twice", "other_site", "unknown_field"])
def test_a_bad_list_is_refused_whole_and_stores_nothing(trial, problem):
    monitor = actor_for(User.objects.get(username=MONITOR))
    visit = MonitoringVisit.objects.get(pk=plan_visit(trial))
    code = participant_with_forms(trial)
    checked = [(rec, None) for rec in _records(code)]
    if problem == "twice":
        checked.append((record("consent", code), None))
        field = "records"
    elif problem == "other_site":
        checked.append((record("consent", participant_with_forms(trial, "co-02")), None))
        field = "visit"
    else:
        checked.append((record("form", form_ref(code, form="vital_signs")), ["pao2"]))
        checked.pop(1)
        field = "fields"
    head = AuditRecord.objects.order_by("-seq").first().seq
    with pytest.raises(InvalidInput) as refused:
        do_verify_records(monitor, visit, checked)
    assert refused.value.field == field
    assert not Verification.objects.exists()
    assert AuditRecord.objects.order_by("-seq").first().seq == head


def test_a_fault_at_the_second_record_leaves_nothing_stored(trial, monkeypatch):
    """One transaction: the first record's verifications and audit record go with the fault."""
    monitor = actor_for(User.objects.get(username=MONITOR))
    visit = MonitoringVisit.objects.get(pk=plan_visit(trial))
    code = participant_with_forms(trial)
    head = AuditRecord.objects.order_by("-seq").first().seq
    calls = fail_audit_anchor_at(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        do_verify_records(monitor, visit, [(rec, None) for rec in _records(code)])
    assert len(calls) == 2
    assert not Verification.objects.exists()
    assert AuditRecord.objects.order_by("-seq").first().seq == head
