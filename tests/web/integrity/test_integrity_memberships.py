"""Several roles per person (issue 20): adding, deactivating and choosing a membership are each
one transaction with their audit record. A valid call writes the membership and a record saying
who, which role and site, old and new; a fault after the audit record leaves nothing stored; bad
input names its field and stores nothing (tests/web/integrity/test_integrity_actions.py lists
these writers as covered here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from faults import FaultAfterAuditRecord, fail_after_the_audit_record
from integrity_kit import dump_database

from trialdesk.web.accounts import actions
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.errors import InvalidInput
from trialdesk.web.core.models import AuditRecord, Membership

PERSON = "coordinator-co-01"
REASON = "moved to the other site in November"


def _held(role: str = "coordinator", site: str = "CO-01") -> Membership:
    return Membership.objects.get(user__username=PERSON, role=role, site__code=site)


def _add(trial) -> dict[str, Any]:
    actions.do_add_membership(actor="cli", username=PERSON, role="coordinator", site="CO-02")
    added = _held(site="CO-02")
    return {"actor": "cli", "action": "add_membership", "active": added.active,
            "changes": {"role": {"old": None, "new": "coordinator"},
                        "site": {"old": None, "new": "CO-02"},
                        "membership": {"old": None, "new": added.pk},
                        "active": {"old": None, "new": True}}}


def _add_as(trial) -> dict[str, Any]:
    actions.do_add_membership_as(actor_for(trial.users["admin"]), username=PERSON,
                                 role="coordinator", site="CO-02")
    added = _held(site="CO-02")
    return {"actor": "admin", "action": "add_membership", "active": added.active,
            "changes": {"role": {"old": None, "new": "coordinator"},
                        "site": {"old": None, "new": "CO-02"},
                        "membership": {"old": None, "new": added.pk},
                        "active": {"old": None, "new": True}}}


def _deactivation(actor: str, membership: Membership) -> dict[str, Any]:
    return {"actor": actor, "action": "deactivate_membership", "active": membership.active,
            "reason": REASON,
            "changes": {"role": {"old": "coordinator", "new": "coordinator"},
                        "site": {"old": "CO-01", "new": "CO-01"},
                        "membership": {"old": membership.pk, "new": membership.pk},
                        "active": {"old": True, "new": False}}}


def _deactivate(trial) -> dict[str, Any]:
    actions.do_deactivate_membership(actor="cli", username=PERSON, role="coordinator",
                                     site="CO-01", reason=REASON)
    return _deactivation("cli", _held())


def _deactivate_as(trial) -> dict[str, Any]:
    actions.do_deactivate_membership_as(actor_for(trial.users["admin"]), username=PERSON,
                                        role="coordinator", site="CO-01", reason=REASON)
    return _deactivation("admin", _held())


def _choose(trial) -> dict[str, Any]:
    chosen = actions.do_choose_membership(trial.users[PERSON], _held().pk)
    return {"actor": PERSON, "action": "choose_role", "active": chosen.active,
            "changes": {"role": {"old": None, "new": "coordinator"},
                        "site": {"old": None, "new": "CO-01"},
                        "membership": {"old": None, "new": chosen.pk}}}


@pytest.mark.parametrize("call", [_add, _add_as, _deactivate, _deactivate_as, _choose])
def test_a_membership_write_is_all_or_nothing_with_its_audit_record(
        trial, monkeypatch, call: Callable[[Any], dict[str, Any]]):
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        call(trial)
    monkeypatch.undo()
    assert dump_database() == before

    expected = call(trial)  # without the fault: the write and its record
    record = AuditRecord.objects.order_by("-seq").first()
    assert (record.actor, record.action, record.model, record.object_id) == (
        expected["actor"], expected["action"], "membership", PERSON)
    assert record.changes == expected["changes"]
    assert record.reason == expected.get("reason", record.reason)
    # the stored membership as the action leaves it: deactivated, else active
    assert expected["active"] == (expected["action"] != "deactivate_membership")


@pytest.mark.parametrize("arguments, field", [
    ({"role": "wizard", "site": None}, "role"),
    ({"role": "coordinator", "site": "CO-01"}, "role"),  # already held
    ({"role": "coordinator", "site": "XX-99"}, "site"),
    ({"role": "monitor", "site": "CO-01"}, "site"),  # a trial-wide role has no site
])
def test_adding_a_bad_membership_names_the_field_and_stores_nothing(trial, arguments, field):
    before = dump_database()
    with pytest.raises(InvalidInput) as caught:
        actions.do_add_membership(actor="cli", username=PERSON, **arguments)
    assert caught.value.field == field
    assert dump_database() == before


def test_an_administrator_cannot_give_a_role_that_sees_arms(trial):
    before = dump_database()
    with pytest.raises(InvalidInput) as caught:
        actions.do_add_membership_as(actor_for(trial.users["admin"]), username=PERSON,
                                     role="pharmacist", site="CO-02")
    assert caught.value.field == "role" and "sees arms" in str(caught.value)
    assert dump_database() == before


def test_a_deactivation_without_a_reason_or_a_choice_of_no_role_of_yours_stores_nothing(trial):
    before = dump_database()
    with pytest.raises(InvalidInput) as caught:
        actions.do_deactivate_membership(actor="cli", username=PERSON, role="coordinator",
                                         site="CO-01", reason=" because ")
    assert caught.value.field == "reason"
    someone_elses = Membership.objects.get(user__username="investigator-co-01")
    with pytest.raises(InvalidInput) as caught:
        actions.do_choose_membership(trial.users[PERSON], someone_elses.pk)
    assert caught.value.field == "membership"
    assert dump_database() == before
    assert _held().active
