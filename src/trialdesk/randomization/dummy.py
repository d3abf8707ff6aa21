"""The dummy allocation: what blinded people analyse until the final unblinding (ICH E9).

Analysis programs are written and checked on groups that look like the trial's — the same
procedure, ratio, strata and block sizes — but come from a seed of their own, so they say nothing
about the real allocation. After the final unblinding the same programs run on the real one.

A list-based procedure (permuted blocks, ...) gives the k-th participant randomized in a stratum
the k-th arm of that stratum's dummy sequence; a dynamic procedure (minimization) allocates the
participants, in the order they were randomized and with their factor levels, afresh from the
dummy seed, each step seeing the dummy arms of the earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import SequenceProcedure, Slot
from .dynamic import DynamicAllocator
from .from_protocol import procedure_from_protocol, protocol_arms
from .random_source import RandomSource

DUMMY_STREAM = "dummy-arms"  # never the real list's stream ("arms"), even with the same seed


@dataclass(frozen=True)
class Randomized:
    """One randomized participant as the dummy needs it: stratum (list-based procedures) or
    factor levels (dynamic procedures), in randomization order."""

    stratum: str = ""
    levels: Mapping[str, str] | None = None


def dummy_sequence(protocol: Any, seed: bytes, stratum: str, length: int) -> list[Slot]:
    """The dummy slots of one stratum (at least ``length``), as the real list would be built."""
    procedure = procedure_from_protocol(protocol)
    if not isinstance(procedure, SequenceProcedure):
        raise TypeError(f"{procedure.name} allocates dynamically: it has no sequence")
    return procedure.sequence(procedure.list_length(max(length, 1)),
                              RandomSource(seed, DUMMY_STREAM, stratum))


def dummy_arms(protocol: Any, seed: bytes, randomized: Sequence[Randomized]) -> list[str]:
    """Return the dummy arm code of each participant, in the order given (randomization order)."""
    arms, _ = protocol_arms(protocol)
    procedure = procedure_from_protocol(protocol)
    if procedure.dynamic:
        allocator = DynamicAllocator.from_protocol(protocol, seed)
        return allocator.allocate_in_order([dict(r.levels or {}) for r in randomized])
    per_stratum: dict[str, int] = {}
    for participant in randomized:
        per_stratum[participant.stratum] = per_stratum.get(participant.stratum, 0) + 1
    sequences = {stratum: dummy_sequence(protocol, seed, stratum, count)
                 for stratum, count in per_stratum.items()}
    taken: dict[str, int] = {}
    result = []
    for participant in randomized:
        position = taken.get(participant.stratum, 0)
        taken[participant.stratum] = position + 1
        result.append(arms[sequences[participant.stratum][position].arm])
    return result
