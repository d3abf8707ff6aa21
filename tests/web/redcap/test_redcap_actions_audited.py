"""The REDCap API's own writers (tokens, the audit record of a read) are all or nothing with their
audit record: a fault after the audit record leaves nothing stored."""

from __future__ import annotations

import pytest
from faults import FaultAfterAuditRecord, fail_after_the_audit_record

from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.redcap.actions import (
    do_audit_redcap_read,
    do_issue_redcap_token,
    do_revoke_redcap_token,
)
from trialdesk.web.redcap.models import RedcapToken


def dump_database() -> tuple:
    """What these writers touch: the tokens (with their hashes) and the audit trail."""
    return (sorted(RedcapToken.objects.values_list("user_id", "key_hash")),
            list(AuditRecord.objects.values_list("seq", "hash")))


CALLS = {
    "issue": lambda trial: do_issue_redcap_token(actor="cli", username="analyst"),
    "revoke": lambda trial: do_revoke_redcap_token(actor="cli", username="analyst"),
    "read": lambda trial: do_audit_redcap_read(actor_for(trial.users["analyst"]),
                                               content="record", request={"type": "flat"}),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_redcap_writer_that_fails_after_its_audit_record_stores_nothing(trial, monkeypatch,
                                                                          name):
    if name == "revoke":
        do_issue_redcap_token(actor="cli", username="analyst")
    before = dump_database()
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(FaultAfterAuditRecord):
        CALLS[name](trial)
    monkeypatch.undo()
    assert dump_database() == before
    CALLS[name](trial)
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.actor in ("cli", "analyst") and record.model and record.object_id
    assert record.changes and all(set(c) == {"old", "new"} for c in record.changes.values())
    assert any(c["old"] != c["new"] for c in record.changes.values())
