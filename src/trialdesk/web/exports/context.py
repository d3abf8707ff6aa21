"""Which allocation an export carries, decided from the requester's role and the unblinding.

- the real arms: a role that sees every arm (the DSMB statistician), or a role that sees arms
  after the final unblinding once it has happened;
- otherwise the dummy allocation (``trialdesk.randomization.dummy``), labelled as such in the
  files, or none at all if the requester asks for none.
The command line's operator has no role: real after the final unblinding, dummy before.
"""

from __future__ import annotations

from trialdesk.web.core import clock
from trialdesk.web.core.actor import Actor
from trialdesk.web.exports.formats import Allocation, ExportContext
from trialdesk.web.trials.access import sees_every_arm
from trialdesk.web.trials.analysis_groups import (
    analysis_arm_by_participant,
    dummy_arm_by_participant,
)
from trialdesk.web.trials.models import FinalUnblinding, Randomization


def allocation_for(actor: Actor | None, *, without: bool = False) -> Allocation:
    """The allocation ``actor``'s export carries (``without``: the requester asked for none)."""
    if without:
        return "none"
    if actor is None:
        return "real" if FinalUnblinding.trial_unblinded() else "dummy"
    return "real" if sees_every_arm(actor) else "dummy"


def build_context(allocation: Allocation, requested_by: str) -> ExportContext:
    """The writer's context: the arm of every randomized participant under ``allocation``."""
    if allocation == "real":
        arms = analysis_arm_by_participant(real=True)
    elif allocation == "dummy" and Randomization.objects.exists():
        arms = dummy_arm_by_participant()
    else:
        arms = {}
    return ExportContext(allocation=allocation, requested_by=requested_by,
                         requested_at=clock.now(), arm_of=arms)
