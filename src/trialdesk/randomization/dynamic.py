"""Allocation at randomization time (minimization), recorded in a hash chain.

No list exists in advance, so the commitment covers what determines every allocation: the
procedure, its version and parameters, the arms, the factors and the secret seed. It is the head
of the chain before the first allocation. Each allocation appends a step::

    head_i = SHA-256(head_{i-1} + "\\n" + record_i)

where ``record_i`` is the canonical JSON of the allocation index, the participant's levels, the
arm and a salt derived from the seed. Publishing the latest head fixes every allocation so far;
after database lock, revealing the seed lets anyone replay every allocation with
:meth:`DynamicAllocator.replay`.

The random element of allocation ``i`` is the first uniform draw of the stream
``("allocation", i)`` of the seed, so replaying needs only the seed and the participants' levels.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import ProcedureError
from .from_protocol import procedure_from_protocol, protocol_arms
from .minimization import Minimization, MinimizationDecision, MinimizationState
from .random_source import RandomSource
from .strata import Factor, protocol_factors

FORMAT = "trialdesk-dynamic-v2"


def canonical_json(value: Any) -> str:
    """Return JSON with sorted keys, no spaces and ASCII only: one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_step(previous_head: str, record: str) -> str:
    """Return the next chain head after appending ``record``."""
    return hashlib.sha256(f"{previous_head}\n{record}".encode()).hexdigest()


@dataclass(frozen=True)
class PriorAllocation:
    """An earlier allocation: the arm and the participant's level per factor code."""

    arm: str
    levels: Mapping[str, str]


@dataclass(frozen=True)
class AllocationStep:
    """The result of one allocation: store ``record`` and ``head``; publish ``head``."""

    index: int
    arm: str
    record: str
    previous_head: str
    head: str
    probabilities: dict[str, float]
    minimizing_arms: tuple[str, ...]
    followed_minimization: bool | None


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of replaying the allocations with the revealed seed."""

    ok: bool
    head: str
    first_mismatch: int | None = None  # index of the first allocation that differs
    message: str = ""


class DynamicAllocator:
    """Allocates one participant at a time with a dynamic procedure and extends the hash chain.

    Stateless between calls: the caller passes the earlier allocations, so the server's database
    stays the single source of truth.
    """

    def __init__(
        self, procedure: Minimization, arms: Sequence[str], factors: Sequence[Factor], seed: bytes
    ) -> None:
        if not procedure.dynamic:
            raise ProcedureError(f"{procedure.name} is list-based; generate an allocation list")
        if len(arms) != procedure.n_arms:
            raise ProcedureError(f"{len(arms)} arms but a ratio of {procedure.n_arms} weights")
        RandomSource(seed)  # validates the seed early
        self.procedure = procedure
        self.arms = tuple(arms)
        self.factors = tuple(factors)
        self._seed = bytes(seed)

    @classmethod
    def from_protocol(cls, protocol: Any, seed: bytes) -> DynamicAllocator:
        """Return the allocator for the protocol's (dynamic) randomization procedure."""
        procedure = procedure_from_protocol(protocol)
        if not isinstance(procedure, Minimization):
            raise ProcedureError(f"{procedure.name} is list-based; generate an allocation list")
        arms, _ = protocol_arms(protocol)
        return cls(procedure, arms, protocol_factors(protocol), seed)

    def specification(self) -> dict[str, Any]:
        """Return what the commitment covers besides the seed."""
        return {
            "format": FORMAT,
            "procedure": self.procedure.name,
            "version": self.procedure.version,
            "parameters": self.procedure.parameters,
            "arms": list(self.arms),
            "factors": [{"code": f.code, "levels": list(f.levels)} for f in self.factors],
        }

    @property
    def commitment(self) -> str:
        """Return the commitment (the chain's first head), published before the first allocation."""
        return hashlib.sha256(
            f"{canonical_json(self.specification())}\n{self._seed.hex()}".encode()
        ).hexdigest()

    def next(
        self,
        history: Sequence[PriorAllocation],
        levels: Mapping[str, str],
        previous_head: str | None = None,
    ) -> AllocationStep:
        """Return the allocation of the next participant, whose levels are given by factor code.

        ``previous_head`` defaults to the commitment (for the first participant).
        """
        state = self.procedure.new_state([len(f.levels) for f in self.factors])
        for position, prior in enumerate(history):
            where = f"history[{position}]"
            state.add(self._level_indices(prior.levels, where), self._arm_index(prior.arm))
        return self._step(state, len(history), levels, previous_head or self.commitment)

    def _step(
        self, state: MinimizationState, index: int, levels: Mapping[str, str], previous: str
    ) -> AllocationStep:
        level_indices = self._level_indices(levels, "levels")
        u = RandomSource(self._seed, "allocation", index).uniform()
        decision: MinimizationDecision = self.procedure.allocate(state, level_indices, u)
        arm = self.arms[decision.arm]
        record = self.record(index, levels, arm)
        return AllocationStep(
            index=index,
            arm=arm,
            record=record,
            previous_head=previous,
            head=chain_step(previous, record),
            probabilities=dict(zip(self.arms, decision.probabilities, strict=True)),
            minimizing_arms=tuple(self.arms[k] for k in decision.minimizing),
            followed_minimization=decision.followed_minimization,
        )

    def record(self, index: int, levels: Mapping[str, str], arm: str) -> str:
        """Return the canonical record of one allocation."""
        ordered = {f.code: str(levels[f.code]) for f in self.factors}
        # Without a secret in the record, whoever knows a participant's levels (blinded staff do)
        # could hash the record with each arm and see which gives the published head. The salt
        # comes from the seed, so revealing the seed still lets anyone replay every head.
        salt = hmac.new(self._seed, f"chain-salt\n{index}".encode(), hashlib.sha256).hexdigest()
        return canonical_json({"index": index, "levels": ordered, "arm": arm, "salt": salt})

    def replay(
        self, allocations: Sequence[PriorAllocation], expected_head: str | None = None
    ) -> ReplayResult:
        """Re-derive every allocation from the seed and compare arms (and the final head)."""
        head = self.commitment
        state = self.procedure.new_state([len(f.levels) for f in self.factors])
        for index, allocation in enumerate(allocations):
            step = self._step(state, index, allocation.levels, head)
            if step.arm != allocation.arm:
                return ReplayResult(
                    False,
                    head,
                    index,
                    f"allocation {index}: the seed gives {step.arm}, the record says "
                    f"{allocations[index].arm}",
                )
            head = step.head
            state.add(
                self._level_indices(allocation.levels, f"allocations[{index}]"),
                self._arm_index(step.arm),
            )
        if expected_head is not None and head != expected_head.strip().lower():
            return ReplayResult(False, head, None, "the arms replay but the chain head differs")
        return ReplayResult(True, head, message=f"{len(allocations)} allocations replay exactly")

    def allocate_in_order(self, levels: Sequence[Mapping[str, str]]) -> list[str]:
        """Allocate participants with these levels one after another; return their arms.

        What the dummy allocation does with the trial's participants and a seed of its own.
        """
        head = self.commitment
        state = self.procedure.new_state([len(f.levels) for f in self.factors])
        arms = []
        for index, participant in enumerate(levels):
            step = self._step(state, index, participant, head)
            head = step.head
            state.add(self._level_indices(participant, f"levels[{index}]"),
                      self._arm_index(step.arm))
            arms.append(step.arm)
        return arms

    def _arm_index(self, arm: str) -> int:
        try:
            return self.arms.index(arm)
        except ValueError:
            raise ProcedureError(f"unknown arm {arm!r} (known: {', '.join(self.arms)})") from None

    def _level_indices(self, levels: Mapping[str, str], where: str) -> list[int]:
        indices = []
        for factor in self.factors:
            if factor.code not in levels:
                raise ProcedureError(f"{where}: missing level for factor {factor.code}")
            level = str(levels[factor.code])
            if level not in factor.levels:
                raise ProcedureError(
                    f"{where}: unknown level {level!r} for factor {factor.code} "
                    f"(known: {', '.join(factor.levels)})"
                )
            indices.append(factor.levels.index(level))
        return indices
