"""Minimization's hash chain: a published head must not let anyone test which arm was allocated.

Attack: the chain head is published after each allocation (so that allocations cannot be altered
later). A blinded investigator or monitor knows each participant's levels (site, ARDS severity
from the screening values) and the order of randomization. If a record held only the index, the
levels and the arm, hashing the record with each arm and comparing with the published head would
tell the arm of every participant. The record must carry a secret that only the seed reveals; the
revealed seed must still replay every head.
"""

from __future__ import annotations

import json

from trialdesk.randomization import DynamicAllocator, PriorAllocation, chain_step
from trialdesk.randomization.minimization import Minimization
from trialdesk.randomization.strata import Factor

SEED = bytes(range(32))
FACTORS = [Factor("site", ("CO-01", "CO-02")), Factor("ards_severity", ("moderate", "severe"))]
ARMS = ["msc", "standard"]


def _allocate(count: int):
    allocator = DynamicAllocator(Minimization(p=0.8), ARMS, FACTORS, SEED)
    history, steps, head = [], [], allocator.commitment
    for index in range(count):
        levels = {"site": ("CO-01", "CO-02")[index % 2],
                  "ards_severity": ("moderate", "severe")[index // 2 % 2]}
        step = allocator.next(history, levels, head)
        history.append(PriorAllocation(step.arm, levels))
        steps.append((levels, step))
        head = step.head
    return allocator, history, steps


def _attacker_guesses(index: int, levels: dict, previous: str) -> dict[str, str]:
    """The heads an attacker computes for each arm from what is public or known to blinded staff."""
    guesses = {}
    for arm in ARMS:
        for record in (
            json.dumps({"arm": arm, "index": index, "levels": levels}, sort_keys=True,
                       separators=(",", ":")),
            json.dumps({"index": index, "levels": levels, "arm": arm}),
        ):
            guesses[chain_step(previous, record)] = arm
    return guesses


def test_published_heads_do_not_reveal_the_arms():
    allocator, _, steps = _allocate(12)
    previous = allocator.commitment
    revealed = []
    for levels, step in steps:
        guesses = _attacker_guesses(step.index, dict(levels), previous)
        if step.head in guesses:
            revealed.append((step.index, guesses[step.head]))
        previous = step.head  # the attacker knows every published head
    assert revealed == []


def test_the_revealed_seed_still_replays_every_head():
    allocator, history, steps = _allocate(12)
    result = allocator.replay(history, steps[-1][1].head)
    assert result.ok, result.message
    impostor = DynamicAllocator(Minimization(p=0.8), ARMS, FACTORS, bytes(32))
    assert not impostor.replay(history, steps[-1][1].head).ok
