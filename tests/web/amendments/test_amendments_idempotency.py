"""Issue 12: an amendment and a site's approval each take an idempotency key
(``core.idempotency``): a retry answers the first version and records no second one."""

from __future__ import annotations

import datetime as dt

from amendment_kit import AMENDMENTS, amended_text
from idempotency import assert_idempotent

from trialdesk.web.amendments.models import ProtocolVersion

# yesterday in UTC is no site's future, whatever its time zone
YESTERDAY = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def test_a_retried_amendment_and_approval_are_recorded_once(trial):
    admin = trial.api("admin")
    amendment = {"toml_text": amended_text(), "effective_date": YESTERDAY,
                 "reason": "Amendment 1"}
    version = assert_idempotent(admin, AMENDMENTS, amendment, counted=(ProtocolVersion,),
                                other_body={**amendment, "reason": "Amendment 2"})
    assert ProtocolVersion.objects.count() == 2 and version["number"] == 2
    approval = {"site": "CO-01", "approval_date": YESTERDAY}
    approved = assert_idempotent(admin, f"{AMENDMENTS}/2/approvals", approval,
                                 key="approval-key-1",
                                 other_body={**approval, "site": "CO-02"})
    assert approved["number"] == 2
