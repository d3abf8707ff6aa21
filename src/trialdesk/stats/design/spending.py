"""Error-spending functions (Lan and DeMets 1983; Hwang, Shih and DeCani 1990; Kim and DeMets 1987).

A spending function gives the cumulative error ``f(t; level)`` spent by information fraction ``t``,
with ``f(0) = 0`` and ``f(1) = level``. The same families serve alpha spending (efficacy) and beta
spending (futility).

Conventions follow rpact and gsDesign: the O'Brien-Fleming-type function for a one-sided level
``a`` is ``2 * (1 - Phi(Phi^-1(1 - a/2) / sqrt(t)))``; a two-sided symmetric design of level alpha
spends ``f(t; alpha/2)`` on each side (so for the OBF type this is not ``f(t; alpha)`` halved — it
is what reproduces the published two-sided tables of DeMets and Lan 1994).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

FAMILIES = ("obf", "pocock", "hsd", "kd")


@dataclass(frozen=True)
class SpendingFunction:
    """A named spending family with its parameter.

    ``family`` is ``obf`` (Lan-DeMets O'Brien-Fleming type), ``pocock`` (Lan-DeMets Pocock type),
    ``hsd`` (Hwang-Shih-DeCani, parameter ``gamma``) or ``kd`` (Kim-DeMets power family,
    parameter ``rho``).
    """

    family: str = "obf"
    gamma: float = -4.0
    rho: float = 3.0

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(
                f"spending family must be one of {', '.join(FAMILIES)}, not {self.family!r}"
            )
        if self.family == "kd" and not self.rho > 0:
            raise ValueError("Kim-DeMets rho must be > 0")

    def __call__(self, t: ArrayLike, level: float) -> NDArray[np.float64]:
        """Return the cumulative error spent by information fraction(s) ``t`` (clipped to 0..1)."""
        t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
        if self.family == "obf":
            with np.errstate(divide="ignore"):
                z = special.ndtri(1.0 - level / 2.0) / np.sqrt(t)
            out = 2.0 * special.ndtr(-z)
        elif self.family == "pocock":
            out = level * np.log1p((math.e - 1.0) * t)
        elif self.family == "hsd":
            if abs(self.gamma) < 1e-12:
                out = level * t
            else:
                out = level * np.expm1(-self.gamma * t) / math.expm1(-self.gamma)
        else:
            out = level * t**self.rho
        return np.where(t >= 1.0, level, out)

    def describe(self) -> str:
        """Return a short human label, e.g. ``HSD(gamma=-4)``."""
        if self.family == "hsd":
            return f"Hwang-Shih-DeCani (gamma={self.gamma:g})"
        if self.family == "kd":
            return f"Kim-DeMets (rho={self.rho:g})"
        return {"obf": "Lan-DeMets O'Brien-Fleming type", "pocock": "Lan-DeMets Pocock type"}[
            self.family
        ]
