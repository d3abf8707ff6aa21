"""Assessment of a procedure: predictability (convergence-strategy guessing) and imbalance.

:func:`assess` computes the figures exactly by dynamic programming when it can (two arms, and a
procedure whose next-arm probabilities depend only on the counts, or permuted blocks) and by
vectorized Monte Carlo otherwise or on request.
"""

from .exact import exact_assessment, permuted_block_correct_guesses
from .metrics import Assessment, assess
from .monte_carlo import monte_carlo_assessment, sequence_metrics

__all__ = [
    "Assessment",
    "assess",
    "exact_assessment",
    "monte_carlo_assessment",
    "permuted_block_correct_guesses",
    "sequence_metrics",
]
