"""Build a procedure from a protocol's ``[design.randomization]`` section."""

from __future__ import annotations

import inspect
from typing import Any

from .base import Procedure, ProcedureError, get_procedure_class
from .strata import protocol_factors

#: Parameters that shape the list rather than the procedure.
LIST_PARAMETERS = frozenset({"slots_per_stratum"})


def protocol_arms(protocol: Any) -> tuple[list[str], list[int]]:
    """Return the arm codes in protocol order and their allocation weights."""
    codes = [arm.code for arm in protocol.design.arms]
    ratio = protocol.design.allocation_ratio
    missing = [code for code in codes if code not in ratio]
    if missing:
        raise ProcedureError(f"allocation_ratio has no weight for arm(s) {', '.join(missing)}")
    return codes, [int(ratio[code]) for code in codes]


def procedure_from_protocol(protocol: Any) -> Procedure:
    """Return the procedure, ratio and parameters the protocol names.

    ``block_sizes`` come from ``[design.randomization] block_sizes``; other parameters (``p``,
    ``bound``, ``imbalance``, ``weights``) from its ``parameters`` table. Minimization ``weights``
    may be a table keyed by factor code; missing factors weigh 1.
    """
    randomization = protocol.design.randomization
    if getattr(randomization, "confidential", False) and not (
            randomization.block_sizes or randomization.parameters):
        # the procedure's defaults would stand in silently for the trial's secret parameters
        raise ProcedureError(
            "the protocol's randomization is confidential and its parameters were not loaded: "
            "put randomization.confidential.toml beside the seed")
    _, ratio = protocol_arms(protocol)
    cls = get_procedure_class(randomization.method)
    parameters = {
        k: v for k, v in dict(randomization.parameters).items() if k not in LIST_PARAMETERS
    }
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "ratio"}
    if randomization.block_sizes and "block_sizes" in accepted and "block_sizes" not in parameters:
        parameters["block_sizes"] = list(randomization.block_sizes)
    if isinstance(parameters.get("weights"), dict):
        by_factor = parameters["weights"]
        codes = [factor.code for factor in protocol_factors(protocol)]
        unknown = sorted(set(by_factor) - set(codes))
        if unknown:
            raise ProcedureError(f"parameters.weights: unknown factor(s) {', '.join(unknown)}")
        parameters["weights"] = [float(by_factor.get(code, 1.0)) for code in codes]
    unknown = sorted(set(parameters) - accepted)
    if unknown:
        raise ProcedureError(
            f"{cls.name}: unknown parameter(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(accepted | LIST_PARAMETERS)) or 'none'}"
        )
    return cls(ratio=ratio, **parameters)
