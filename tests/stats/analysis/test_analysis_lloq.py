"""Values below the assay's LLOQ in the repeated-measures analysis: a small dataset whose
geometric means under LLOQ/2 substitution are computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from trialdesk.protocol.censored import censored_text, substitute
from trialdesk.stats.analysis import repeated_measures

LLOQ = 2.0
# stored values as data capture keeps them; the report hands "<2" to the analysis
A0 = [4.0, {"censored": "<", "limit": LLOQ}, 16.0]  # 4 * 1 * 16 = 64: geometric mean 4
B0 = [2.0, 8.0, {"censored": "<", "limit": LLOQ}]  # 2 * 8 * 1 = 16: geometric mean 16^(1/3)
A3 = [3.0, 3.0, 3.0]
B3 = [6.0, {"censored": "<", "limit": LLOQ}, 6.0]  # 6 * 1 * 6 = 36: geometric mean 36^(1/3)


def _frame() -> pd.DataFrame:
    rows = []
    for group, by_day in (("a", {0: A0, 3: A3}), ("b", {0: B0, 3: B3})):
        for day, values in by_day.items():
            for index, value in enumerate(values):
                shown = censored_text(value) if isinstance(value, dict) else value
                rows.append({"id": f"{group}{index}", "group": group, "day": day,
                             "il6": shown})
    return pd.DataFrame(rows)


def test_half_the_lloq_gives_the_hand_computed_geometric_means():
    result = repeated_measures(_frame(), participant="id", group="group", day="day",
                               value="il6", groups=("a", "b"), lod=LLOQ, lod_rule="half")
    means = {(g.group, g.day): g for g in result.geometric_means}
    assert means[("a", 0)].geometric_mean == pytest.approx(4.0)
    assert means[("b", 0)].geometric_mean == pytest.approx(16 ** (1 / 3))
    assert means[("b", 3)].geometric_mean == pytest.approx(36 ** (1 / 3))
    assert means[("a", 3)].geometric_mean == pytest.approx(3.0)
    assert [means[k].below_lod for k in (("a", 0), ("b", 0), ("a", 3), ("b", 3))] == [1, 1, 0, 1]
    assert result.below_lod_total == 3


def test_the_lloq_itself_gives_other_means():
    result = repeated_measures(_frame(), participant="id", group="group", day="day",
                               value="il6", groups=("a", "b"), lod=LLOQ, lod_rule="lod")
    means = {(g.group, g.day): g.geometric_mean for g in result.geometric_means}
    assert means[("a", 0)] == pytest.approx((4 * 2 * 16) ** (1 / 3))


def test_arithmetic_mean_of_the_substituted_values():
    # the same substitution the exports' ADLB AVAL carries: (4 + 1 + 16) / 3 = 7
    values = [substitute(v, "half") for v in A0]
    assert values == [4.0, 1.0, 16.0] and math.fsum(values) / 3 == 7.0
