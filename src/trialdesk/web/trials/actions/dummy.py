"""Creating the dummy allocation's seed, with the allocation list or on first use."""

from __future__ import annotations

import secrets

from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.audit import append_audit
from trialdesk.web.trials.models import DummyAllocation


def create_dummy_allocation(actor: str) -> DummyAllocation:
    """Store a fresh dummy seed unless one exists; call inside a write transaction."""
    existing = DummyAllocation.objects.first()
    if existing is not None:
        return existing
    # its own seed: nothing about the real allocation goes into the dummy
    record = DummyAllocation.objects.create(seed=secrets.token_hex(32), created_at=clock.now())
    append_audit(actor=actor, action="create_dummy_allocation", model="dummy_allocation",
                 object_id=str(record.pk),
                 changes={"dummy_allocation": {"old": None, "new": "created"}})
    return record


@action(None)
def do_create_dummy_allocation(*, actor: str) -> DummyAllocation:
    """Create the dummy allocation of a trial set up before dummies existed (first use)."""
    return create_dummy_allocation(actor)
