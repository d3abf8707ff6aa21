"""Trial design: sample size, group-sequential boundaries, Bayesian monitoring, simulation.

Modules: :mod:`.spending` and :mod:`.numint` (recursive integration) under :mod:`.boundaries`;
:mod:`.proportions`, :mod:`.survival`, :mod:`.means` (sample size and power); :mod:`.bayes`
(Beta-binomial posterior and predictive probabilities); :mod:`.exact_binary` (exact operating
characteristics of binary group-sequential designs); :mod:`.spec` and :mod:`.simulate`
(vectorized simulation); :mod:`.report` (what the default trial can detect).
"""

from .boundaries import GroupSequentialDesign, group_sequential_design
from .spending import SpendingFunction

__all__ = ["GroupSequentialDesign", "SpendingFunction", "group_sequential_design"]
