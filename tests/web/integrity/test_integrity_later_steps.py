"""Faults in a write's later steps, reasons that changes require, and text in any script."""

from __future__ import annotations

import pytest
from django.core import mail
from integrity_kit import (
    COORDINATOR,
    INVESTIGATOR,
    RESPIRATORY_OK,
    dump_database,
    form_path,
)

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.actions import randomize as randomize_module
from trialdesk.web.trials.models import (
    AllocationSlot,
    Dispensing,
    RestrictedAllocationLog,
    UnblindingEvent,
)
from trialdesk.web.worker.runner import run_ready


class _Boom(RuntimeError):
    pass


def test_randomization_failing_after_its_audit_record_uses_no_slot(scenarios, monkeypatch):
    """The restricted allocation log is written last; if it fails the slot stays free."""
    code = scenarios.consented()
    before = dump_database()

    insert = randomize_module.insert  # the action's rows, each one INSERT (core.sql)

    def fail(model, /, **fields):
        if model is RestrictedAllocationLog:
            raise _Boom("restricted log unavailable")
        return insert(model, **fields)

    monkeypatch.setattr(randomize_module, "insert", fail)
    response = scenarios.api(INVESTIGATOR).send("POST", f"/api/v1/participants/{code}/randomize")
    assert response.status_code == 500
    monkeypatch.undo()
    assert dump_database() == before
    assert not AllocationSlot.objects.filter(used=True).exists()
    again = scenarios.api(INVESTIGATOR).send("POST", f"/api/v1/participants/{code}/randomize")
    assert again.status_code == 201
    assert RestrictedAllocationLog.objects.count() == 1


def test_a_failed_unblinding_sends_no_notification(scenarios, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TRIALDESK_NOTIFY_EMAILS = ["dsmb@example.org"]
    code, _ = scenarios.randomized()
    original = UnblindingEvent.objects.create
    monkeypatch.setattr(UnblindingEvent.objects, "create",
                        lambda **fields: (original(**fields), _fail())[0])
    path = f"/api/v1/participants/{code}/unblind"
    reason = {"reason": "anaphylaxis: the treating team needs the arm"}
    with _on_commit_runs() as callbacks:
        assert scenarios.api(INVESTIGATOR).send("POST", path, reason).status_code == 500
    assert callbacks == []
    assert run_ready() == 0  # no e-mail task: it was written in the failed transaction
    assert mail.outbox == []
    assert not UnblindingEvent.objects.exists()
    monkeypatch.undo()
    with _on_commit_runs():
        assert scenarios.api(INVESTIGATOR).send("POST", path, reason).status_code == 201
    assert run_ready() == 1  # the notification's task, run as the worker would
    assert len(mail.outbox) == 1


def _fail() -> None:
    raise _Boom("after the event row")


def _on_commit_runs():
    # the test's outer transaction never commits: run the on_commit hooks it collects
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_changing_a_complete_form_without_a_reason_is_refused_and_stores_nothing(scenarios):
    code = scenarios.completed_form()
    before = dump_database()
    response = scenarios.api(COORDINATOR).send(
        "PUT", form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 90}, "complete": True,
                                 "reason": "   "})
    assert response.status_code == 422
    assert response.json()["fields"] == [{"field": "reason",
                                          "rule": "is required to change a complete form"}]
    assert dump_database() == before


@pytest.mark.parametrize("text", [
    "Razón: traslado a la UCI — niño con reacción",
    "患者转院 (transfer) — 🚑 ambulance",
    "Ελληνικά και עברית και العربية",
])
def test_text_in_any_script_is_stored_and_audited_exactly(scenarios, text):
    code, kit = scenarios.randomized()
    investigator = scenarios.api(INVESTIGATOR)
    unblind = investigator.send("POST", f"/api/v1/participants/{code}/unblind", {"reason": text})
    assert unblind.status_code == 201, unblind.content
    assert UnblindingEvent.objects.get().reason == text
    assert AuditRecord.objects.order_by("-seq").first().reason == text
    lot = text[:40]
    dispense = scenarios.api("pharmacist-co-01").send("POST", f"/api/v1/kits/{kit}/dispense",
                                                      {"lot": lot})
    assert dispense.status_code == 201, dispense.content
    assert Dispensing.objects.get().lot == lot.strip()


def test_confirming_one_more_warning_audits_the_old_and_new_confirmations(scenarios):
    code, _ = scenarios.randomized()
    coordinator = scenarios.api(COORDINATOR)
    values = {**RESPIRATORY_OK, "pao2": 520, "peep": 26}  # both outside their soft range
    first = coordinator.send("PUT", form_path(code), {"values": values, "confirm": ["pao2"]})
    assert first.status_code == 201, first.content
    again = coordinator.send("PUT", form_path(code), {"values": values,
                                                      "confirm": ["pao2", "peep"]})
    assert again.status_code == 200, again.content
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "raise_query"  # the newly confirmed warning opens a query
    save = AuditRecord.objects.filter(action="save_form").order_by("-seq").first()
    assert save.changes == {"confirmed": {"old": ["pao2"], "new": ["pao2", "peep"]}}
