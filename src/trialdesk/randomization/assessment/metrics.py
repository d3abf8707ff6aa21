"""The assessment result and the function that picks the exact or the Monte Carlo method.

Definitions (Blackwell & Hodges 1957; Rosenberger & Lachin, *Randomization in Clinical Trials*,
2nd ed., 2016, ch. 3 and 8):

- convergence strategy: before each allocation the investigator guesses the arm furthest behind
  its target share (for two arms 1:1, the arm with fewer so far). On a tie, including the first
  participant, a guess counts 1/(number of tied arms) — one half for two arms, as randomizeR does;
- ``correct_guess_proportion``: expected proportion of correct guesses over the n allocations;
- imbalance after i allocations: ``sum_k |n_k - i w_k / W|``, which is ``|n_A - n_B|`` for two
  arms 1:1; ``expected_final_imbalance`` is its expectation at n, ``expected_max_imbalance`` the
  expectation of its maximum over 1..n, and ``final_imbalance_exceeds[k] = P(imbalance_n > k)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..base import Procedure


@dataclass(frozen=True)
class Assessment:
    """Predictability and imbalance figures of one procedure at one sample size."""

    procedure: str
    parameters: dict[str, Any]
    n: int
    method: Literal["exact", "monte_carlo"]
    correct_guess_proportion: float
    expected_final_imbalance: float
    expected_max_imbalance: float
    final_imbalance_exceeds: dict[int, float]
    sims: int | None = None
    standard_errors: dict[str, float] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """Return the figures as a JSON-serializable dict (Monte Carlo adds ``standard_errors``)."""
        data: dict[str, Any] = {
            "procedure": self.procedure,
            "parameters": self.parameters,
            "n": self.n,
            "method": self.method,
            "correct_guess_proportion": self.correct_guess_proportion,
            "expected_final_imbalance": self.expected_final_imbalance,
            "expected_max_imbalance": self.expected_max_imbalance,
            "final_imbalance_exceeds": {str(k): v for k, v in self.final_imbalance_exceeds.items()},
        }
        if self.method == "monte_carlo":
            data["sims"] = self.sims
            data["standard_errors"] = self.standard_errors
        return data


def assess(
    procedure: Procedure,
    n: int,
    *,
    sims: int = 100_000,
    method: Literal["auto", "exact", "monte_carlo"] = "auto",
    exceed: Sequence[int] = (0, 1, 2, 3, 4),
    seed: int | None = None,
    progress: bool = False,
    **simulate_options: Any,
) -> Assessment:
    """Return the assessment of ``procedure`` for ``n`` participants.

    ``method="auto"`` uses the exact dynamic program when one exists, else Monte Carlo with
    ``sims`` sequences. ``simulate_options`` go to the procedure's ``simulate`` (minimization
    takes ``level_probabilities``).
    """
    from .exact import exact_assessment, supports_exact
    from .monte_carlo import monte_carlo_assessment

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if method == "exact" or (method == "auto" and supports_exact(procedure)):
        return exact_assessment(procedure, n, exceed=exceed)
    return monte_carlo_assessment(
        procedure, n, sims=sims, exceed=exceed, seed=seed, progress=progress, **simulate_options
    )
