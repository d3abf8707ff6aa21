"""Each writer of the administration pages is one transaction with its audit record: a fault
after the audit record leaves nothing stored, and without it the write and its record are there
(tests/web/integrity/test_integrity_actions.py lists these writers as covered here)."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from faults import FaultAfterAuditRecord, fail_after_the_audit_record
from trial_factory import PASSWORD

from trialdesk.web.administration import actions
from trialdesk.web.administration.models import Delegation
from trialdesk.web.core import clock
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.models import AuditRecord

TABLES = ("core", "accounts", "auth", "administration")
TEMPORARY = "temporary pass phrase 41"


def _dump() -> dict[str, list[dict[str, Any]]]:
    return {model._meta.db_table: list(model.objects.order_by("pk").values())
            for label in TABLES for model in apps.get_app_config(label).get_models()}


def _admin(trial):
    return actor_for(trial.users["admin"])


def _create_site(trial):
    actions.do_create_site(_admin(trial), code="CO-08", name="Hospital Ocho",
                           time_zone="America/Bogota", language="es")


def _update_site(trial):
    actions.do_update_site(_admin(trial), "CO-01", time_zone="America/Lima", language="en",
                           principal_investigator="investigator-co-01")


def _create_user(trial):
    actions.do_create_user_with_delegation(
        _admin(trial), username="page-coordinator", role="coordinator", site="CO-01",
        password=TEMPORARY, duties="Screening and consent")


def _add_role(trial):
    actions.do_add_role_with_delegation(_admin(trial), "monitor", role="data_manager",
                                        site=None, duties="Query management")


def _record_training(trial):
    actions.do_record_training(_admin(trial), "monitor", course="ICH GCP",
                               completed_on=clock.today())


def _reset_password(trial):
    actions.do_reset_password(_admin(trial), "monitor", new_password=TEMPORARY)


def _change_own_password(trial):
    user = get_user_model().objects.get(username="monitor")  # as stored: no rolled-back hash
    actions.do_change_own_password(user, current_password=PASSWORD, new_password=TEMPORARY)


def _sign_delegation(trial):
    entry = Delegation.objects.get(signed_at__isnull=True)  # made by the test beforehand
    actions.do_sign_delegation(actor_for(trial.users["investigator-co-01"]), entry.pk,
                               password=PASSWORD)


def _end_delegation(trial):
    entry = Delegation.objects.filter(person__username="monitor").first()
    actions.do_end_delegation(_admin(trial), entry.pk, end_date=clock.today(),
                              reason="left the monitoring company")


@pytest.mark.parametrize("call", [_create_site, _update_site, _create_user, _add_role,
                                  _record_training, _reset_password, _change_own_password,
                                  _sign_delegation, _end_delegation])
def test_an_administration_write_that_fails_after_its_audit_record_stores_nothing(
        trial, monkeypatch, call):
    if call is _sign_delegation:  # its entry to sign, made beforehand
        actions.do_update_site(_admin(trial), "CO-01", time_zone="America/Bogota",
                               language="es", principal_investigator="investigator-co-01")
        _create_user(trial)
    before = _dump()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        call(trial)
    monkeypatch.undo()
    assert _dump() == before
    call(trial)
    assert _dump() != before
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.changes and all(set(c) == {"old", "new"} for c in record.changes.values())
