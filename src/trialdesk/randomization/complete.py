"""Complete (simple) randomization: every participant is allocated by the ratio, independently."""

from __future__ import annotations

import numpy as np

from .base import CountProcedure, register


@register
class CompleteRandomization(CountProcedure):
    """Each allocation is an independent draw with probabilities ``w_k / W``."""

    name = "complete"

    def probabilities(self, counts: np.ndarray, length: int) -> np.ndarray:
        return np.broadcast_to(self.target, counts.shape).copy()
