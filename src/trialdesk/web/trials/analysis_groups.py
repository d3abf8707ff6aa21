"""The groups an analysis sees: coded ("group 1", "group 2") and, until the final unblinding, of
the dummy allocation for every reader who is blind to the arms.

One place for both, so that the API (``/api/v1/analysis/groups``) and the reports label a
participant alike. The arm -> coded group key is derived from the server's secret and never leaves
the server. Before the final unblinding a blinded reader's groups are those of the dummy
allocation (``trialdesk.randomization.dummy``): built like the trial's, independent of it, so a
by-group figure tells a reader who also sees participant data nothing about the real arms (ICH
E9: programs are written on a dummy randomization). The same programs then run on the real one.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from trialdesk.blinding import coded_arm_labels
from trialdesk.randomization import Randomized, dummy_arms
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import DummyAllocation, Randomization

DUMMY_NOTICE = "dummy allocation: these groups are not the trial's"


def coding_key() -> bytes:
    """Return the key of the arm -> coded group mapping (read per call: settings may change)."""
    return hmac.new(settings.SECRET_KEY.encode(), b"coded-arms", hashlib.sha256).digest()


def coded_group_labels() -> dict[str, str]:
    """Return arm code -> coded group label ("group 1", ...) for this installation."""
    arms = [arm.code for arm in get_protocol().design.arms]
    return coded_arm_labels(arms, coding_key())


def _dummy_seed() -> bytes:
    record = DummyAllocation.objects.first()
    if record is None:  # a trial set up before dummy allocations existed
        from trialdesk.web.trials.actions.dummy import do_create_dummy_allocation

        record = do_create_dummy_allocation(actor="system")
    return bytes.fromhex(record.seed)


def dummy_arm_by_participant() -> dict[str, str]:
    """Return participant code -> arm of the dummy allocation, for every randomized participant."""
    protocol = get_protocol()
    randomizations = list(Randomization.objects.select_related(
        "participant__allocation_step", "slot").order_by("pk"))
    randomized = []
    for randomization in randomizations:
        step = getattr(randomization.participant, "allocation_step", None)
        randomized.append(Randomized(stratum=randomization.slot.stratum,
                                     levels=step.levels if step is not None else None))
    arms = dummy_arms(protocol, _dummy_seed(), randomized)
    return {r.participant.code: arm for r, arm in zip(randomizations, arms, strict=True)}


def analysis_arm_by_participant(*, real: bool) -> dict[str, str]:
    """Return participant code -> the arm an analysis groups by: the real one (``real``: readers
    who may see arms, or everyone after the final unblinding) or the dummy one."""
    if not real:
        return dummy_arm_by_participant()
    return dict(Randomization.objects.values_list("participant__code", "slot__arm"))
