"""Allocation lists: one pre-generated sequence of arms per stratum, each slot with a kit code.

:func:`generate_allocation_list` is what the trial server and ``trialdesk randomization generate``
call. Size: each stratum gets ``slots_per_stratum`` slots — by default the protocol's target
enrollment, so the list cannot run out even if every participant fell into one stratum; the
protocol's ``parameters.slots_per_stratum`` or the argument overrides it. Procedures that must end
on a block or on target (permuted blocks, maximal) round up to their next boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import Procedure, ProcedureError, SequenceProcedure
from .from_protocol import procedure_from_protocol, protocol_arms
from .kit_codes import CURRENT, METADATA_KEY, KitCodeScheme
from .random_source import BIT_GENERATOR, DERIVATION, RandomSource
from .strata import all_strata, protocol_factors

SEED_COMMITMENT_TAG = b"trialdesk-seed-v1\x00"


@dataclass(frozen=True)
class Allocation:
    """One slot. ``sequence`` is unique across the list; ``block`` counts within the stratum."""

    sequence: int
    stratum: str
    arm: str
    kit_code: str
    block: int | None = None
    block_size: int | None = None


@dataclass(frozen=True)
class AllocationList:
    """The rows of a list and what is needed to re-derive and check it."""

    rows: tuple[Allocation, ...]
    arms: tuple[str, ...]
    strata: tuple[str, ...]
    procedure: str | None = None
    procedure_version: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    numpy_version: str | None = None
    bit_generator: str | None = None
    seed_commitment: str | None = None
    # the kit codes' alphabet and check (kit_codes.SCHEMES); None: not recorded, a list made
    # before issue 14, whose codes are read with the old alphabet
    kit_code_scheme: str | None = None

    def __iter__(self) -> Iterator[Allocation]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def for_stratum(self, stratum: str) -> list[Allocation]:
        """Return the stratum's slots in allocation order."""
        return sorted(
            (row for row in self.rows if row.stratum == stratum), key=lambda r: r.sequence
        )

    def next_free(self, stratum: str, used: Container[int]) -> Allocation | None:
        """Return the stratum's first slot whose sequence number is not in ``used``, or None."""
        return next((row for row in self.for_stratum(stratum) if row.sequence not in used), None)

    def metadata(self) -> dict[str, Any]:
        """Return the list's provenance as a JSON-serializable dict."""
        return {
            "procedure": self.procedure,
            "procedure_version": self.procedure_version,
            "parameters": self.parameters,
            "arms": list(self.arms),
            "strata": list(self.strata),
            "numpy_version": self.numpy_version,
            "bit_generator": self.bit_generator,
            "rng_derivation": DERIVATION,
            "seed_commitment": self.seed_commitment,
            METADATA_KEY: self.kit_code_scheme,
            "rows": len(self.rows),
        }


def seed_commitment(seed: bytes) -> str:
    """Return SHA-256 of the tagged seed, published with the list and checked once revealed.

    The seed has at least 128 random bits, so the hash cannot be inverted by trying seeds.
    """
    return hashlib.sha256(SEED_COMMITMENT_TAG + bytes(seed)).hexdigest()


def generate_sequences(
    procedure: SequenceProcedure,
    arms: Sequence[str],
    strata: Sequence[str],
    seed: bytes,
    slots_per_stratum: int,
    kit_code_scheme: KitCodeScheme = CURRENT,
) -> AllocationList:
    """Return a list of ``slots_per_stratum`` (rounded up as the procedure needs) slots per stratum.

    Each stratum's arms come from the stream ``("arms", stratum)`` of the seed and the kit codes
    from the stream ``("kit-codes",)``, so kit codes are independent of the arms. New lists use
    the current kit code scheme; re-deriving a list made earlier needs the scheme it recorded
    (``kit_codes.scheme_named(metadata.get("kit_code_scheme"))``).
    """
    if slots_per_stratum < 1:
        raise ProcedureError(f"slots_per_stratum must be at least 1, got {slots_per_stratum}")
    if len(arms) != procedure.n_arms:
        raise ProcedureError(f"{len(arms)} arms but a ratio of {procedure.n_arms} weights")
    length = procedure.list_length(slots_per_stratum)
    slots_by_stratum = [
        (stratum, procedure.sequence(length, RandomSource(seed, "arms", stratum)))
        for stratum in strata
    ]
    total = sum(len(slots) for _, slots in slots_by_stratum)
    kit_codes = iter(kit_code_scheme.generate(total, RandomSource(seed, "kit-codes")))
    rows = []
    for stratum, slots in slots_by_stratum:
        for slot in slots:
            rows.append(
                Allocation(
                    sequence=len(rows) + 1,
                    stratum=stratum,
                    arm=arms[slot.arm],
                    kit_code=next(kit_codes),
                    block=slot.block,
                    block_size=slot.block_size,
                )
            )
    return AllocationList(
        rows=tuple(rows),
        arms=tuple(arms),
        strata=tuple(strata),
        procedure=procedure.name,
        procedure_version=procedure.version,
        parameters={**procedure.parameters, "slots_per_stratum": slots_per_stratum},
        numpy_version=np.__version__,
        bit_generator=BIT_GENERATOR,
        seed_commitment=seed_commitment(seed),
        kit_code_scheme=kit_code_scheme.name,
    )


def generate_allocation_list(
    protocol: Any,
    seed: bytes,
    slots_per_stratum: int | None = None,
    kit_code_scheme: KitCodeScheme = CURRENT,
) -> AllocationList:
    """Return the protocol's allocation list generated from the secret ``seed``.

    Raises :class:`ProcedureError` for a dynamic procedure (minimization), which allocates at
    randomization time through :class:`trialdesk.randomization.DynamicAllocator` instead.
    """
    procedure: Procedure = procedure_from_protocol(protocol)
    if not isinstance(procedure, SequenceProcedure):
        raise ProcedureError(
            f"{procedure.name} allocates at randomization time from the participants so far; "
            "it has no list made in advance (use DynamicAllocator)"
        )
    if slots_per_stratum is None:
        configured = protocol.design.randomization.parameters.get("slots_per_stratum")
        slots_per_stratum = int(configured or protocol.design.target_enrollment)
    arms, _ = protocol_arms(protocol)
    strata = all_strata(protocol_factors(protocol))
    return generate_sequences(procedure, arms, strata, seed, slots_per_stratum, kit_code_scheme)
