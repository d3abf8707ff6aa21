"""The only writers of trial data. Each ``do_*`` runs in one transaction with its audit record."""

from trialdesk.web.trials.actions.allocation import (
    do_commit_allocation_list,
    do_load_sites,
    do_sync_sites,
)
from trialdesk.web.trials.actions.consent import (
    Document,
    do_confirm_consent,
    do_consent,
    do_reconsent,
    do_record_capacity_regained,
    do_refuse_consent,
    do_withdraw_consent,
)
from trialdesk.web.trials.actions.dsmb import do_record_recommendation
from trialdesk.web.trials.actions.dummy import do_create_dummy_allocation
from trialdesk.web.trials.actions.enrollment import do_correct_screening, do_screen
from trialdesk.web.trials.actions.final_unblinding import (
    do_approve_final_unblinding,
    do_request_final_unblinding,
)
from trialdesk.web.trials.actions.pharmacy import do_dispense
from trialdesk.web.trials.actions.randomize import RandomizationResult, do_randomize
from trialdesk.web.trials.actions.unblinding import do_unblind

__all__ = [
    "Document",
    "RandomizationResult",
    "do_approve_final_unblinding",
    "do_commit_allocation_list",
    "do_confirm_consent",
    "do_consent",
    "do_correct_screening",
    "do_create_dummy_allocation",
    "do_dispense",
    "do_load_sites",
    "do_randomize",
    "do_reconsent",
    "do_record_capacity_regained",
    "do_record_recommendation",
    "do_refuse_consent",
    "do_request_final_unblinding",
    "do_screen",
    "do_sync_sites",
    "do_unblind",
    "do_withdraw_consent",
]
