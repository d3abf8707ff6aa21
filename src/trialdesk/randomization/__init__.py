"""Randomization: procedures, allocation lists, commitments and predictability metrics.

Pure Python (numpy), no Django. What the trial server uses:

- :func:`generate_allocation_list` (protocol, secret seed) -> :class:`AllocationList`, for the
  list-based procedures (complete, permuted-blocks, efron, big-stick, maximal);
- :class:`DynamicAllocator` for minimization, which allocates at randomization time and extends a
  hash chain (:class:`AllocationStep`);
- :func:`commit_list` / :func:`verify_list` for the published commitment of a list;
- :func:`write_allocation_csv` / :func:`read_allocation_csv` for CSV export and validated import;
- :func:`stratum_for` to turn a participant's levels into the stratum key used in the list;
- :func:`is_valid_kit_code` to catch a mistyped kit code.

Procedures are found by name in a registry (:func:`get_procedure`); a new one is a class with a
``name`` and the :func:`register` decorator.
"""

from . import biased_coin, blocks, complete, maximal, minimization  # noqa: F401  (registration)
from .allocation_list import (
    Allocation,
    AllocationList,
    generate_allocation_list,
    generate_sequences,
    seed_commitment,
)
from .base import (
    CountProcedure,
    Procedure,
    ProcedureError,
    SequenceProcedure,
    Slot,
    available_procedures,
    get_procedure,
    get_procedure_class,
    imbalance,
    register,
)
from .commitment import Commitment, Verification, canonical_form, commit_list, new_salt, verify_list
from .csv_io import AllocationImportError, RowError, read_allocation_csv, write_allocation_csv
from .dummy import Randomized, dummy_arms, dummy_sequence
from .dynamic import (
    AllocationStep,
    DynamicAllocator,
    PriorAllocation,
    ReplayResult,
    chain_step,
)
from .from_protocol import procedure_from_protocol, protocol_arms
from .kit_codes import check_character, format_kit_code, is_valid_kit_code, normalize_kit_code
from .random_source import RandomSource
from .seed import read_or_create_seed
from .strata import (
    UNSTRATIFIED,
    Factor,
    StratumError,
    all_strata,
    parse_stratum_key,
    protocol_factors,
    stratum_for,
    stratum_key,
)

__all__ = [
    "UNSTRATIFIED",
    "Allocation",
    "AllocationImportError",
    "AllocationList",
    "AllocationStep",
    "Commitment",
    "CountProcedure",
    "DynamicAllocator",
    "Factor",
    "PriorAllocation",
    "Procedure",
    "ProcedureError",
    "RandomSource",
    "Randomized",
    "ReplayResult",
    "RowError",
    "SequenceProcedure",
    "Slot",
    "StratumError",
    "Verification",
    "all_strata",
    "available_procedures",
    "canonical_form",
    "chain_step",
    "check_character",
    "commit_list",
    "dummy_arms",
    "dummy_sequence",
    "format_kit_code",
    "generate_allocation_list",
    "generate_sequences",
    "get_procedure",
    "get_procedure_class",
    "imbalance",
    "is_valid_kit_code",
    "new_salt",
    "normalize_kit_code",
    "parse_stratum_key",
    "procedure_from_protocol",
    "protocol_arms",
    "protocol_factors",
    "read_allocation_csv",
    "read_or_create_seed",
    "register",
    "seed_commitment",
    "stratum_for",
    "stratum_key",
    "verify_list",
    "write_allocation_csv",
]
