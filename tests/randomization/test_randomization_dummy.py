"""The dummy allocation: built like the real list, independent of it (ICH E9)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from trialdesk.protocol import load_protocol
from trialdesk.randomization import (
    DynamicAllocator,
    Randomized,
    dummy_arms,
    dummy_sequence,
    generate_allocation_list,
    protocol_arms,
)
from trialdesk.randomization.strata import protocol_factors


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


def _real_arms(protocol, seed: bytes, strata: list[str]) -> list[str]:
    """The real list's arms of participants randomized in these strata, in order."""
    allocation_list = generate_allocation_list(protocol, seed, slots_per_stratum=len(strata))
    cursors: Counter = Counter()
    arms = []
    for stratum in strata:
        arms.append(allocation_list.for_stratum(stratum)[cursors[stratum]].arm)
        cursors[stratum] += 1
    return arms


def test_the_dummy_has_the_real_lists_block_structure(protocol):
    real = generate_allocation_list(protocol, b"r" * 32, slots_per_stratum=40)
    real_sizes = {row.block_size for row in real.rows}
    block_sizes = set(protocol.design.randomization.block_sizes)
    for stratum in real.strata:
        slots = dummy_sequence(protocol, stratum.encode().ljust(32, b"d"), stratum, 40)
        assert len(slots) >= 40
        assert {slot.block_size for slot in slots} <= block_sizes
        assert real_sizes <= block_sizes
        for block in {slot.block for slot in slots}:
            in_block = [slot for slot in slots if slot.block == block]
            assert len(in_block) == in_block[0].block_size
            # 1:1 within every complete block, as in the real list
            assert Counter(slot.arm for slot in in_block) == {0: len(in_block) // 2,
                                                              1: len(in_block) // 2}


def test_the_dummy_is_reproducible_from_its_seed_and_not_the_real_list_with_the_same_seed(
        protocol):
    seed = b"s" * 32
    real = generate_allocation_list(protocol, seed, slots_per_stratum=40)
    stratum = real.strata[0]
    dummy = [slot.arm for slot in dummy_sequence(protocol, seed, stratum, 40)]
    assert dummy == [slot.arm for slot in dummy_sequence(protocol, seed, stratum, 40)]
    arms, _ = protocol_arms(protocol)
    assert [arms[a] for a in dummy[:40]] != [row.arm for row in real.for_stratum(stratum)][:40]


def test_dummy_arms_follow_each_stratum_in_randomization_order(protocol):
    seed = b"dummy-seed-".ljust(32, b"0")
    strata = generate_allocation_list(protocol, seed, slots_per_stratum=1).strata
    order = [strata[0], strata[1], strata[0], strata[0], strata[1]]
    arms, _ = protocol_arms(protocol)
    got = dummy_arms(protocol, seed, [Randomized(stratum=s) for s in order])
    first = [arms[slot.arm] for slot in dummy_sequence(protocol, seed, strata[0], 3)]
    second = [arms[slot.arm] for slot in dummy_sequence(protocol, seed, strata[1], 2)]
    assert got == [first[0], second[0], first[1], first[2], second[1]]


def test_agreement_with_the_real_allocation_over_1000_trials_is_50_percent_within_3_se(protocol):
    rng = np.random.default_rng(20201113)
    strata = list(generate_allocation_list(protocol, b"x" * 32, slots_per_stratum=1).strata)
    agreements = []
    for _ in range(1000):
        trial = [strata[i] for i in rng.integers(len(strata), size=40)]
        real = _real_arms(protocol, rng.bytes(32), trial)
        dummy = dummy_arms(protocol, rng.bytes(32), [Randomized(stratum=s) for s in trial])
        agreements.append(np.mean([a == b for a, b in zip(real, dummy, strict=True)]))
    mean, se = float(np.mean(agreements)), float(np.std(agreements, ddof=1) / np.sqrt(1000))
    assert abs(mean - 0.5) < 3 * se, (mean, se)
    # the trials vary about as 40 independent coin flips would (sd 0.08, SE 0.0025)
    assert 0.001 < se < 0.01


def test_a_dynamic_procedures_dummy_minimizes_the_same_participants_from_its_own_seed(tmp_path):
    from trial_factory import write_minimization_protocol

    minimization = load_protocol(write_minimization_protocol(tmp_path))
    factors = protocol_factors(minimization)
    rng = np.random.default_rng(3)
    people = [{f.code: f.levels[rng.integers(len(f.levels))] for f in factors} for _ in range(60)]
    seed = b"dummy-seed-".ljust(32, b"0")
    arms = dummy_arms(minimization, seed, [Randomized(levels=p) for p in people])
    assert arms == DynamicAllocator.from_protocol(minimization, seed).allocate_in_order(people)
    counts = Counter(arms)
    assert abs(counts.most_common()[0][1] - 30) <= 4  # minimization keeps the arms balanced
    real = DynamicAllocator.from_protocol(minimization, b"real-seed-".ljust(32, b"0"))
    assert arms != real.allocate_in_order(people)
