"""The trial's analyses on plain data (pandas data frames or counts); no Django.

Each function returns a dataclass with ``to_text()``, ``to_dict()`` (JSON types only),
``effects()`` (rows for a forest plot) and ``plot(path)`` where a plot exists; each names the
method it used. ``to_dict()`` and ``effects()`` come from :class:`AnalysisResult`, derived from
the result's fields and its declared :class:`Effect` rows. Group labels are used exactly as given,
so coded labels stay coded. Of two groups, the first (``a``) is compared with the second (``b``,
the reference): differences are a - b, ratios a / b. Rows with a missing value in a column an
analysis needs are left out and counted.

- :func:`two_proportions`, :func:`two_proportions_from_frame` (28-day mortality, any SAE)
- :func:`survival_analysis` (Kaplan-Meier, log-rank, Cox)
- :func:`ventilator_free_days`, :func:`derive_ventilator_free_days`,
  :func:`ventilator_free_days_analysis`, :func:`rank_comparison` (Mann-Whitney, Hodges-Lehmann)
- :func:`change_from_baseline` (ANCOVA)
- :func:`repeated_measures` (mixed model on the log scale, geometric mean ratios)
- :func:`forest_plot`, :class:`ConsortCounts` (CONSORT 2010 flow diagram)
"""

from ._base import AnalysisInputError, AnalysisResult, Effect, Missing
from .consort import ArmFlow, ConsortCounts, ConsortError
from .continuous import change_from_baseline
from .forest import forest_plot
from .hodges_lehmann import hodges_lehmann
from .intervals import (
    conditional_odds_ratio,
    katz_relative_risk,
    newcombe_difference,
    wilson,
)
from .proportions import two_proportions, two_proportions_from_frame
from .repeated import repeated_measures
from .survival import survival_analysis
from .vfd import (
    derive_ventilator_free_days,
    rank_comparison,
    ventilator_free_days,
    ventilator_free_days_analysis,
)

__all__ = [
    "AnalysisInputError",
    "AnalysisResult",
    "ArmFlow",
    "ConsortCounts",
    "ConsortError",
    "Effect",
    "Missing",
    "change_from_baseline",
    "conditional_odds_ratio",
    "derive_ventilator_free_days",
    "forest_plot",
    "hodges_lehmann",
    "katz_relative_risk",
    "newcombe_difference",
    "rank_comparison",
    "repeated_measures",
    "survival_analysis",
    "two_proportions",
    "two_proportions_from_frame",
    "ventilator_free_days",
    "ventilator_free_days_analysis",
    "wilson",
]
