"""The demo's database lock: the final data review settles what it can (queries closed, forms
signed), and what a real trial could not settle either is locked through the two-person override,
its checklist kept with the lock."""

from __future__ import annotations

import pytest
from trial_factory import FAST_HASHERS

from trialdesk.web.capture.models import Lock, LockOverride
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.simulation import simulate_trial

pytestmark = pytest.mark.slow


def test_the_demo_locks_after_its_final_review_through_the_override(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    simulate_trial(data_dir=tmp_path, participants=12, seed=3, stop_at="lock")
    lock = Lock.objects.get(scope=Lock.DATABASE, unlocked_at__isnull=True)
    counts = {check["code"]: check["count"] for check in lock.checklist["checks"]}
    # settled at the review: no query left, no complete form unsigned
    assert counts["open_queries"] == 0 and counts["unsigned_forms"] == 0
    # left for the override: the demo loads no MedDRA release, so its terms stay uncoded
    assert counts["uncoded_terms"] > 0
    assert lock.checklist["outstanding"] == sum(counts.values())
    override = LockOverride.objects.get(lock=lock)
    assert override.status == LockOverride.APPLIED
    assert override.requested_by_id != override.decided_by_id
    assert all(f"{check['label']}: {check['count']}" in override.reason
               for check in lock.checklist["checks"] if check["count"])
    actions = list(AuditRecord.objects.filter(action__in=(
        "request_lock_override", "lock", "confirm_lock_override")).values_list(
        "action", flat=True).order_by("seq"))
    assert actions == ["request_lock_override", "lock", "confirm_lock_override"]
