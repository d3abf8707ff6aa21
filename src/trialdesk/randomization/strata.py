"""Strata: the combinations of stratification levels, and their canonical string form.

A stratum is a tuple of level codes, one per factor, in the protocol's factor order. Its string
form, used in CSV files and commitments, is ``factor=level`` joined by ``|`` (for example
``site=CO-01|ards_severity=severe``); an unstratified design has the single stratum ``all``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UNSTRATIFIED = "all"


class StratumError(ValueError):
    """A stratum or a level that the protocol does not define."""


@dataclass(frozen=True)
class Factor:
    """A stratification factor: its code and the codes of its levels, in protocol order."""

    code: str
    levels: tuple[str, ...]


def protocol_factors(protocol: Any) -> list[Factor]:
    """Return the protocol's stratification factors; a ``site`` factor's levels are its sites."""
    factors = []
    for factor in protocol.design.randomization.strata:
        levels = [level.code for level in factor.levels]
        if factor.source == "site" and not levels:
            levels = [site.code for site in protocol.sites]
        factors.append(Factor(factor.code, tuple(levels)))
    return factors


def stratum_key(factors: Sequence[Factor], levels: Sequence[str]) -> str:
    """Return the canonical string of the stratum with ``levels`` (one per factor, in order)."""
    if len(levels) != len(factors):
        raise StratumError(f"a stratum needs {len(factors)} levels, got {len(levels)}")
    for factor, level in zip(factors, levels, strict=True):
        if level not in factor.levels:
            known = ", ".join(factor.levels)
            raise StratumError(f"{factor.code}: unknown level {level!r} (known: {known})")
    if not factors:
        return UNSTRATIFIED
    return "|".join(f"{factor.code}={level}" for factor, level in zip(factors, levels, strict=True))


def stratum_for(factors: Sequence[Factor], values: Mapping[str, str]) -> str:
    """Return the stratum key for a participant whose levels are given by factor code."""
    missing = [factor.code for factor in factors if factor.code not in values]
    if missing:
        raise StratumError(f"missing stratification level for {', '.join(missing)}")
    return stratum_key(factors, [str(values[factor.code]) for factor in factors])


def parse_stratum_key(factors: Sequence[Factor], key: str) -> tuple[str, ...]:
    """Return the level codes of a canonical stratum string, checked against ``factors``."""
    if not factors:
        if key != UNSTRATIFIED:
            raise StratumError(f"the design is unstratified; the stratum must be {UNSTRATIFIED!r}")
        return ()
    parts = key.split("|")
    pairs = [part.partition("=") for part in parts]
    codes = [code for code, _, _ in pairs]
    expected = [factor.code for factor in factors]
    if codes != expected or any(not sep for _, sep, _ in pairs):
        raise StratumError(
            f"stratum {key!r} must read {'|'.join(f'{code}=<level>' for code in expected)}"
        )
    levels = tuple(level for _, _, level in pairs)
    stratum_key(factors, levels)  # validates the levels
    return levels


def all_strata(factors: Sequence[Factor]) -> list[str]:
    """Return every stratum key, in protocol order (first factor slowest)."""
    return [
        stratum_key(factors, combo) for combo in itertools.product(*(f.levels for f in factors))
    ]
