"""Reproducible random draws derived from a secret seed.

Every random decision of a list or of a dynamic allocation comes from a :class:`RandomSource`:
a numpy ``PCG64`` bit generator whose state is derived from SHA-256 of the seed and a few labels
(the purpose, the stratum, the allocation index). Separate labels give independent streams, so
the kit codes cannot leak the arms and one stratum's list does not depend on another's.

Only the raw 64-bit output of ``PCG64`` is used (through ``random_raw``); numpy documents that
``Generator`` methods may change their streams between releases, while the bit generator and
``SeedSequence`` algorithms are fixed. The arithmetic that turns raw words into decisions is below,
so the same seed gives the same list on any machine and any numpy version.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableSequence, Sequence
from typing import TypeVar

import numpy as np

BIT_GENERATOR = "PCG64"
DERIVATION = "trialdesk-rng-v1"

T = TypeVar("T")

_TWO_TO_MINUS_53 = 1.0 / 9007199254740992.0


def derive_entropy(seed: bytes, *labels: str | int) -> int:
    """Return a 256-bit integer derived from ``seed`` and ``labels`` by SHA-256.

    Each part is length-prefixed so that ("ab", "c") and ("a", "bc") give different streams.
    """
    digest = hashlib.sha256()
    for part in (DERIVATION.encode(), bytes(seed), *(str(label).encode() for label in labels)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return int.from_bytes(digest.digest(), "big")


class RandomSource:
    """A stream of uniform draws for one purpose, derived from the secret seed."""

    def __init__(self, seed: bytes, *labels: str | int) -> None:
        if not isinstance(seed, bytes | bytearray) or len(seed) < 16:
            raise ValueError("the seed must be at least 16 bytes (128 bits)")
        self.labels = tuple(str(label) for label in labels)
        self._bitgen = np.random.PCG64(np.random.SeedSequence(derive_entropy(seed, *labels)))

    def raw(self) -> int:
        """Return the next raw 64-bit word."""
        return int(self._bitgen.random_raw())

    def uniform(self) -> float:
        """Return a uniform draw in [0, 1) with 53 random bits."""
        return (self.raw() >> 11) * _TWO_TO_MINUS_53

    def below(self, bound: int) -> int:
        """Return a uniform integer in [0, bound), without modulo bias (rejection sampling)."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        limit = (1 << 64) - ((1 << 64) % bound)
        while True:
            word = self.raw()
            if word < limit:
                return word % bound

    def shuffle(self, items: MutableSequence[T]) -> MutableSequence[T]:
        """Shuffle ``items`` in place (Fisher-Yates) and return them."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items

    def choose(self, probabilities: Sequence[float]) -> int:
        """Return an index drawn with the given probabilities (they must sum to 1)."""
        return choose_index(probabilities, self.uniform())


def choose_index(probabilities: Sequence[float], u: float) -> int:
    """Return the index whose cumulative-probability interval contains ``u``.

    Zero-probability entries are never chosen, even when rounding leaves the total short of 1.
    """
    cumulative = 0.0
    last_positive = -1
    for index, probability in enumerate(probabilities):
        if probability <= 0:
            continue
        last_positive = index
        cumulative += probability
        if u < cumulative:
            return index
    if last_positive < 0:
        raise ValueError("no arm has a positive probability")
    return last_positive


def choose_indices(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Vectorized :func:`choose_index`: ``probabilities`` has shape (..., K), ``u`` shape (...)."""
    cumulative = np.cumsum(probabilities, axis=-1)
    chosen = (u[..., None] < cumulative).argmax(axis=-1)
    # Rounding can leave the last cumulative value just below u; fall back to the last arm
    # with positive probability, as the scalar version does.
    short = u >= cumulative[..., -1]
    if np.any(short):
        positive = probabilities > 0
        last = probabilities.shape[-1] - 1 - np.argmax(positive[..., ::-1], axis=-1)
        chosen = np.where(short, last, chosen)
    return chosen
