"""Every ``do_*`` writer is covered: through its API operation (test_integrity_write_paths.py) or
here, called directly (the ones only the command line and the pages reach). Each is atomic with
its audit record: a fault after the audit record leaves nothing stored."""

from __future__ import annotations

import pytest
from faults import FaultAfterAuditRecord, fail_after_the_audit_record
from integrity_kit import dump_database

from trialdesk.web.accounts import actions as account_actions
from trialdesk.web.administration import actions as _admin_actions  # noqa: F401  (pages only)
from trialdesk.web.capture import actions as capture_actions
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.models import AuditRecord, Membership, Site
from trialdesk.web.design import actions as _design_actions  # noqa: F401  (no API: not in router)
from trialdesk.web.redcap import actions as _redcap_actions  # noqa: F401  (the CLI's too)
from trialdesk.web.registry import actions as _registry_actions  # noqa: F401  (likewise)
from trialdesk.web.trials import actions as trial_actions
from trialdesk.web.trials.models import AllocationListRecord

THROUGH_THE_API = {
    "do_screen", "do_correct_screening", "do_consent", "do_randomize", "do_dispense",
    "do_unblind", "do_request_final_unblinding", "do_approve_final_unblinding",
    "do_issue_api_token", "do_save_form", "do_lock", "do_unlock", "do_raise_query",
    "do_request_lock_override", "do_confirm_lock_override", "do_close_lock_override",
    "do_answer_query", "do_close_query", "do_reopen_query", "do_sign", "do_sign_visit",
    "do_sign_visits", "do_sign_forms",
    # the amendment log (issue 17): tests/web/integrity/integrity_amendments.py
    "do_amend_protocol", "do_record_site_approval",
    "do_mark_visit_not_done", "do_discontinue", "do_create_user_as", "do_deactivate_user",
    # a user's REDCap token, issued and revoked by the administrator (issue 22)
    "do_issue_redcap_token_as", "do_revoke_redcap_token_as",
    "do_sync_sites", "do_set_site_status", "do_record_recommendation",
    # adverse events as records (issue 15)
    "do_report_adverse_event", "do_update_adverse_event", "do_record_follow_up",
    "do_code_adverse_event",
    # the DSMB (issue 15)
    "do_create_meeting", "do_generate_report", "do_sign_recommendation",
    "do_respond_recommendation",
    # the protocol deviation log (issue 16)
    "do_report_deviation", "do_update_deviation", "do_close_deviation", "do_reopen_deviation",
    # monitoring (issue 16)
    "do_plan_visit", "do_update_visit", "do_add_finding", "do_add_action_item",
    "do_update_action_item", "do_verify",
    # consent's later events (issue 17)
    "do_record_capacity_regained", "do_confirm_consent", "do_refuse_consent",
    "do_withdraw_consent", "do_reconsent",
    # data exports (issue 21)
    "do_start_export",
    # the cell product's supply chain (issue 18)
    "do_register_lot", "do_record_results", "do_decide_release", "do_assign_kits", "do_ship",
    "do_receive", "do_resolve_quarantine", "do_record_custody", "do_prepare",
    "do_record_infusion", "do_replace_kit",
}
DIRECT = {"do_load_sites", "do_create_user", "do_commit_allocation_list", "do_set_language",
          "do_create_dummy_allocation",
          # tests/web/registry/test_registry_import_audited.py
          "do_import_studies",
          # tests/web/design/test_design_jobs_audited.py
          "do_start_simulation", "do_finish_simulation",
          # tests/web/exports/test_exports_framework.py
          "do_start_export_from_command_line", "do_finish_export",
          # reports as tasks (issue 20): tests/web/dsmb/test_dsmb_report_jobs.py and
          # tests/web/reports/test_reports_jobs.py (the pages' buttons, their tasks' ends)
          "do_start_report_job", "do_finish_report_job", "do_start_analysis_report",
          "do_finish_analysis_report",
          # tests/web/safety/test_safety_alert_delivery.py (after the reporting transaction)
          "do_record_alert_delivery",
          # tests/web/safety/test_safety_dictionary.py (the command line's)
          "do_load_dictionary",
          # tests/web/dsmb/test_dsmb_stopping_rule.py (run by the receivers of a saved event)
          "do_check_stopping_rule", "do_record_signal_delivery",
          # tests/web/outbox/test_outbox_mail.py (the e-mail task's record, the admin's retry)
          "do_record_email_attempt", "do_retry_email",
          # tests/web/redcap/test_redcap_actions_audited.py (REDCap tokens, reads of the API)
          "do_issue_redcap_token", "do_revoke_redcap_token", "do_audit_redcap_read",
          # tests/web/monitoring/test_monitoring_verify_records.py (the simulated trial's)
          "do_verify_records",
          # tests/web/accounts/test_accounts_two_factor.py (a user's own authenticator)
          "do_enable_two_factor", "do_check_sign_in_code", "do_disable_two_factor",
          "do_reset_two_factor",
          # tests/web/administration/test_administration_integrity.py (the admin's pages)
          "do_create_site", "do_update_site", "do_create_user_with_delegation",
          "do_add_role_with_delegation", "do_sign_delegation", "do_record_training",
          "do_reset_password", "do_change_own_password", "do_end_delegation",
          # tests/web/integrity/test_integrity_memberships.py (several roles per person)
          "do_add_membership", "do_add_membership_as", "do_deactivate_membership",
          "do_deactivate_membership_as", "do_choose_membership",
          # tests/web/schedules/test_schedules.py (the command line's, the workers' claims)
          "do_create_schedule", "do_stop_schedule", "do_claim_due_run", "do_record_backup_run"}


def test_every_action_is_covered_by_an_integrity_test():
    import trialdesk.web.api.router  # noqa: F401  (imports every app's actions)
    from trialdesk.web.core.actions import REGISTERED

    writers = {name.rsplit(".", 1)[1] for name in REGISTERED
               if name.rsplit(".", 1)[1].startswith("do_")}
    writers |= {name for module in (trial_actions, capture_actions)
                for name in module.__all__ if name.startswith("do_")}
    assert writers == THROUGH_THE_API | DIRECT


def _create_user(trial):
    account_actions.do_create_user(actor="cli", username="new-monitor", role="monitor", site=None,
                                 password="a long enough pass phrase", language="es")


def _set_language(trial):
    account_actions.do_set_language(trial.users["monitor"], "es")


@pytest.mark.parametrize("call", [_create_user, _set_language])
def test_a_direct_action_that_fails_after_its_audit_record_stores_nothing(trial, monkeypatch,
                                                                          call):
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        call(trial)
    monkeypatch.undo()
    assert dump_database() == before
    call(trial)  # and without the fault it writes, with its audit record
    assert dump_database() != before
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.changes and all(set(c) == {"old", "new"} for c in record.changes.values())


def test_loading_sites_and_committing_the_list_are_all_or_nothing(db, monkeypatch):
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        trial_actions.do_load_sites(actor="cli")
    assert dump_database() == before
    monkeypatch.undo()
    trial_actions.do_load_sites(actor="cli")
    assert Site.objects.exists()
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        trial_actions.do_commit_allocation_list(actor="cli", seed=b"integrity-seed-0123456789")
    monkeypatch.undo()
    assert dump_database() == before
    record = trial_actions.do_commit_allocation_list(actor="cli",
                                                     seed=b"integrity-seed-0123456789")
    last = AuditRecord.objects.order_by("-seq").first()
    assert (last.action, last.object_id) == ("commit_allocation_list", str(record.pk))
    assert last.changes["commitment"] == {"old": None, "new": record.commitment}
    assert AllocationListRecord.objects.count() == 1


def test_creating_a_user_with_a_bad_field_names_it_and_stores_nothing(trial):
    before = dump_database()
    cases = [({"role": "wizard"}, "role"), ({"site": "CO-01"}, "site"),
             ({"language": "fr"}, "language"), ({"username": "monitor"}, "username"),
             ({"password": "short"}, "password")]
    for change, field in cases:
        arguments = {"actor": "cli", "username": "new-monitor", "role": "monitor", "site": None,
                     "password": "a long enough pass phrase", **change}
        with pytest.raises(InvalidInput) as caught:
            account_actions.do_create_user(**arguments)
        assert caught.value.field == field
    assert dump_database() == before
    assert not Membership.objects.filter(user__username="new-monitor").exists()


def test_creating_the_dummy_allocation_on_first_use_is_all_or_nothing_and_once(trial, monkeypatch):
    from trialdesk.web.trials.models import DummyAllocation

    DummyAllocation.objects.all().delete()  # a trial set up before dummy allocations existed
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        trial_actions.do_create_dummy_allocation(actor="system")
    monkeypatch.undo()
    assert dump_database() == before
    first = trial_actions.do_create_dummy_allocation(actor="system")
    assert AuditRecord.objects.order_by("-seq").first().action == "create_dummy_allocation"
    assert trial_actions.do_create_dummy_allocation(actor="system") == first  # only once
    assert DummyAllocation.objects.count() == 1
