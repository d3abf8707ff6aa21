"""The procedure base classes and the registry that finds a procedure by its name.

As Django finds a password hasher by its ``algorithm``, trialdesk finds a randomization procedure by
its ``name``: a new procedure is one class with the :func:`register` decorator.

Procedures work on arm *indices* (0..K-1) with integer allocation weights (``ratio``); mapping to
arm codes happens in :mod:`.allocation_list` and :mod:`.dynamic`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from .random_source import RandomSource, choose_indices


class ProcedureError(ValueError):
    """A procedure's parameters are invalid, or it was asked for something it cannot do."""


@dataclass(frozen=True)
class Slot:
    """One position of a generated sequence: the arm index and, for blocked designs, the block."""

    arm: int
    block: int | None = None
    block_size: int | None = None


class Procedure(ABC):
    """A randomization procedure: a ``name``, a ``version`` and validated ``parameters``.

    ``version`` changes whenever the same seed and parameters would give a different sequence,
    so a recorded list can always be re-derived with the code that made it.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    #: True if the next arm depends on other strata or covariates (no list can be made ahead).
    dynamic: ClassVar[bool] = False

    def __init__(self, ratio: Sequence[int] = (1, 1)) -> None:
        ratio = tuple(int(weight) for weight in ratio)
        if len(ratio) < 2:
            raise ProcedureError("ratio: a trial needs at least two arms")
        if any(weight < 1 for weight in ratio):
            raise ProcedureError(f"ratio: every weight must be a positive integer, got {ratio}")
        self.ratio: tuple[int, ...] = ratio
        self.weights = np.asarray(ratio, dtype=float)
        self.target = self.weights / self.weights.sum()

    @property
    def n_arms(self) -> int:
        return len(self.ratio)

    @property
    def parameters(self) -> dict[str, Any]:
        """Return the parameters that, with the seed, determine the sequence (JSON-serializable)."""
        return {"ratio": list(self.ratio)}

    def describe(self) -> str:
        """Return ``name$version$parameters``, a self-describing string like Django's hashes."""
        details = ",".join(f"{key}={value}" for key, value in sorted(self.parameters.items()))
        return f"{self.name}${self.version}${details}"


class SequenceProcedure(Procedure):
    """A procedure whose next arm depends only on the earlier arms of the same stratum.

    Such a procedure can pre-generate a list per stratum (:meth:`sequence`) and can be simulated
    for many sequences at once (:meth:`simulate`), which the predictability assessment uses.
    """

    def list_length(self, slots: int) -> int:
        """Return the number of slots actually generated when ``slots`` are asked for."""
        return slots

    @abstractmethod
    def sequence(self, length: int, source: RandomSource) -> list[Slot]:
        """Return ``length`` slots drawn from ``source``."""

    @abstractmethod
    def simulate(self, length: int, sims: int, rng: np.random.Generator) -> np.ndarray:
        """Return a (sims, length) int8 array of arm indices, vectorized across simulations."""


class CountProcedure(SequenceProcedure):
    """A sequence procedure whose next-arm probabilities depend only on the counts so far.

    Subclasses implement :meth:`probabilities` once, vectorized; list generation, simulation and
    the exact (dynamic programming) assessment all use it.
    """

    @abstractmethod
    def probabilities(self, counts: np.ndarray, length: int) -> np.ndarray:
        """Return next-arm probabilities, shape (..., K), given counts of shape (..., K).

        ``length`` is the planned length of the sequence (only the maximal procedure needs it).
        """

    def sequence(self, length: int, source: RandomSource) -> list[Slot]:
        counts = np.zeros(self.n_arms, dtype=np.int64)
        slots = []
        for _ in range(length):
            arm = source.choose(self.probabilities(counts, length).tolist())
            counts[arm] += 1
            slots.append(Slot(arm))
        return slots

    def simulate(self, length: int, sims: int, rng: np.random.Generator) -> np.ndarray:
        counts = np.zeros((sims, self.n_arms), dtype=np.int64)
        arms = np.empty((sims, length), dtype=np.int8)
        rows = np.arange(sims)
        for i in range(length):
            chosen = choose_indices(self.probabilities(counts, length), rng.random(sims))
            counts[rows, chosen] += 1
            arms[:, i] = chosen
        return arms


# -- helpers shared by the procedures ---------------------------------------------------------


def scaled_deviation(counts: np.ndarray, ratio: Sequence[int]) -> np.ndarray:
    """Return ``W * n_k - n * w_k`` for each arm: zero when the counts are exactly on target.

    Integers, so "exactly balanced" is an exact comparison. For two arms 1:1 this is ``(D, -D)``
    with ``D = n_A - n_B``.
    """
    weights = np.asarray(ratio, dtype=np.int64)
    total = counts.sum(axis=-1, keepdims=True)
    return weights.sum() * counts - total * weights


def imbalance(counts: np.ndarray, ratio: Sequence[int]) -> np.ndarray:
    """Return the imbalance ``sum_k |n_k - n w_k / W|``; for two arms 1:1 it is ``|n_A - n_B|``."""
    return np.abs(scaled_deviation(counts, ratio)).sum(axis=-1) / float(sum(ratio))


def minimum_bound(ratio: Sequence[int]) -> float:
    """Return the imbalance left by the first allocation to the largest arm: the least bound
    an imbalance-limiting procedure can keep (1 for two arms 1:1, 4/3 for 1:1:1)."""
    total = sum(ratio)
    return 2 * (total - max(ratio)) / total


def lagging_mask(counts: np.ndarray, ratio: Sequence[int]) -> np.ndarray:
    """Return a boolean mask of the arms furthest behind their target share (min ``n_k / w_k``)."""
    weights = np.asarray(ratio, dtype=np.int64)
    # Cross-multiplied comparison keeps it in integers: n_k / w_k <= n_j / w_j.
    relative = counts * (np.prod(weights) // weights)
    return relative == relative.min(axis=-1, keepdims=True)


def shares(mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the arms' shares of one unit spread over the arms in ``mask`` by ``weights``.

    Rows whose mask is empty get all zeros.
    """
    masked = np.where(mask, weights, 0.0)
    total = masked.sum(axis=-1, keepdims=True)
    return masked / np.where(total > 0, total, 1.0)


# -- registry ---------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Procedure]] = {}

P = TypeVar("P", bound=type[Procedure])


def register(cls: P) -> P:
    """Class decorator: make a procedure available by its ``name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ProcedureError(f"a procedure named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def available_procedures() -> list[str]:
    """Return the registered procedure names, sorted."""
    return sorted(_REGISTRY)


def get_procedure_class(name: str) -> type[Procedure]:
    """Return the procedure class registered under ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(available_procedures())
        raise ProcedureError(f"unknown procedure {name!r}; known procedures: {known}") from None


def get_procedure(name: str, ratio: Sequence[int] = (1, 1), **parameters: Any) -> Procedure:
    """Return an instance of the procedure ``name`` with the given ratio and parameters."""
    return get_procedure_class(name)(ratio=ratio, **parameters)


def require(condition: bool, message: str) -> None:
    """Raise :class:`ProcedureError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ProcedureError(message)
