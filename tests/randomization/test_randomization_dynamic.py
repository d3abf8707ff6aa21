"""Minimization at randomization time, its random element, and the hash chain."""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import pytest

from trialdesk.protocol import load_protocol
from trialdesk.randomization import (
    DynamicAllocator,
    PriorAllocation,
    ProcedureError,
    RandomSource,
    chain_step,
    get_procedure,
)
from trialdesk.randomization.minimization import Minimization
from trialdesk.randomization.strata import Factor

FACTORS = (
    Factor("site", ("CO-01", "CO-02", "CO-03")),
    Factor("ards_severity", ("moderate", "severe")),
)
SEED = b"m" * 32


def _participants(count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "site": FACTORS[0].levels[rng.integers(3)],
            "ards_severity": FACTORS[1].levels[rng.integers(2)],
        }
        for _ in range(count)
    ]


def _run(allocator: DynamicAllocator, participants) -> tuple[list[PriorAllocation], str]:
    history: list[PriorAllocation] = []
    head = allocator.commitment
    for levels in participants:
        step = allocator.next(history, levels, head)
        assert step.previous_head == head
        head = step.head
        history.append(PriorAllocation(step.arm, levels))
    return history, head


def test_minimization_with_p_one_is_refused_citing_ich_e9():
    with pytest.raises(ProcedureError, match="ICH E9 asks for a random element"):
        Minimization(p=1.0)


def test_minimization_follows_the_random_element_at_rate_p():
    p = 0.8
    procedure = Minimization(p=p)
    state = procedure.new_state([3, 2])
    rng = np.random.default_rng(2024)
    followed = []
    for index in range(10_000):
        levels = [int(rng.integers(3)), int(rng.integers(2))]
        decision = procedure.allocate(
            state, levels, RandomSource(SEED, "allocation", index).uniform()
        )
        if decision.followed_minimization is not None:
            followed.append(decision.followed_minimization)
        state.add(levels, decision.arm)
    standard_error = np.sqrt(p * (1 - p) / len(followed))
    assert len(followed) > 5_000
    assert abs(np.mean(followed) - p) < 3 * standard_error


def test_minimization_keeps_margins_balanced():
    history, _ = _run(
        DynamicAllocator(Minimization(p=0.9), ["a", "b"], FACTORS, SEED), _participants(200)
    )
    for factor in FACTORS:
        for level in factor.levels:
            arms = [h.arm for h in history if h.levels[factor.code] == level]
            assert abs(arms.count("a") - arms.count("b")) <= 4


def test_unequal_ratio_minimization_tracks_the_ratio():
    allocator = DynamicAllocator(Minimization(ratio=(2, 1), p=0.8), ["a", "b"], FACTORS, SEED)
    history, _ = _run(allocator, _participants(300))
    share = [h.arm for h in history].count("a") / 300
    assert abs(share - 2 / 3) < 0.03


def test_weights_and_variance_measure_change_scores():
    procedure = Minimization(p=0.8, imbalance="variance", weights=[2.0, 0.0])
    state = procedure.new_state([2, 2])
    state.add([0, 0], 0)
    state.add([1, 0], 1)
    # Factor 2 weighs nothing, so only factor 1 (level 0 already has arm 0) decides.
    decision = procedure.allocate(state, [0, 0], 0.0)
    assert decision.minimizing == (1,)
    assert decision.probabilities == pytest.approx((0.2, 0.8))


def test_stateless_next_gives_the_same_arms_as_replay():
    allocator = DynamicAllocator(Minimization(p=0.8), ["msc", "standard"], FACTORS, SEED)
    history, head = _run(allocator, _participants(60))
    result = allocator.replay(history, head)
    assert result.ok
    assert result.head == head


def test_replay_finds_a_changed_arm():
    allocator = DynamicAllocator(Minimization(p=0.8), ["msc", "standard"], FACTORS, SEED)
    history, head = _run(allocator, _participants(30))
    flipped = "msc" if history[11].arm == "standard" else "standard"
    history[11] = PriorAllocation(flipped, history[11].levels)
    result = allocator.replay(history, head)
    assert not result.ok
    assert result.first_mismatch == 11


def test_replay_with_another_seed_fails_and_commitment_differs():
    allocator = DynamicAllocator(Minimization(p=0.8), ["msc", "standard"], FACTORS, SEED)
    history, head = _run(allocator, _participants(40))
    impostor = DynamicAllocator(Minimization(p=0.8), ["msc", "standard"], FACTORS, b"n" * 32)
    assert impostor.commitment != allocator.commitment
    assert not impostor.replay(history, head).ok


def test_commitment_covers_the_parameters_and_the_seed():
    allocator = DynamicAllocator(Minimization(p=0.8), ["msc", "standard"], FACTORS, SEED)
    spec = json.dumps(allocator.specification(), sort_keys=True, separators=(",", ":"))
    assert allocator.commitment == hashlib.sha256(f"{spec}\n{SEED.hex()}".encode()).hexdigest()
    other = DynamicAllocator(Minimization(p=0.7), ["msc", "standard"], FACTORS, SEED)
    assert other.commitment != allocator.commitment


def test_chain_head_is_documented_hash_of_previous_head_and_record():
    allocator = DynamicAllocator(Minimization(p=0.8), ["msc", "standard"], FACTORS, SEED)
    levels = {"site": "CO-02", "ards_severity": "severe"}
    step = allocator.next([], levels)
    # the salt (secret until the seed is revealed) keeps a published head from telling the arm
    salt = hmac.new(SEED, b"chain-salt\n0", hashlib.sha256).hexdigest()
    assert (
        step.record
        == f'{{"arm":"{step.arm}","index":0,"levels":{{"ards_severity":"severe","site":"CO-02"}},'
        f'"salt":"{salt}"}}'
    )
    assert (
        step.head == hashlib.sha256(f"{allocator.commitment}\n{step.record}".encode()).hexdigest()
    )
    assert step.head == chain_step(allocator.commitment, step.record)


def test_unknown_levels_and_arms_are_named():
    allocator = DynamicAllocator(Minimization(), ["msc", "standard"], FACTORS, SEED)
    with pytest.raises(ProcedureError, match="unknown level 'mild' for factor ards_severity"):
        allocator.next([], {"site": "CO-01", "ards_severity": "mild"})
    with pytest.raises(ProcedureError, match="missing level for factor site"):
        allocator.next([], {"ards_severity": "mild"})
    with pytest.raises(ProcedureError, match="unknown arm 'placebo'"):
        allocator.next(
            [PriorAllocation("placebo", {"site": "CO-01", "ards_severity": "severe"})],
            {"site": "CO-01", "ards_severity": "severe"},
        )


def test_allocator_from_a_minimization_protocol():
    protocol = load_protocol()
    randomization = protocol.design.randomization.model_copy(
        update={
            "method": "minimization",
            "parameters": {"p": 0.85, "weights": {"site": 1, "ards_severity": 2}},
        }
    )
    design = protocol.design.model_copy(update={"randomization": randomization})
    allocator = DynamicAllocator.from_protocol(protocol.model_copy(update={"design": design}), SEED)
    assert allocator.procedure.parameters == {
        "ratio": [1, 1],
        "p": 0.85,
        "imbalance": "range",
        "weights": [1.0, 2.0],
    }
    step = allocator.next([], {"site": protocol.sites[0].code, "ards_severity": "severe"})
    assert step.arm in ("msc", "standard")


def test_list_based_procedures_are_refused_by_the_allocator():
    with pytest.raises(ProcedureError, match="list-based"):
        DynamicAllocator.from_protocol(load_protocol(), SEED)
    with pytest.raises(ProcedureError, match="list-based"):
        DynamicAllocator(get_procedure("complete"), ["a", "b"], FACTORS, SEED)  # type: ignore[arg-type]
