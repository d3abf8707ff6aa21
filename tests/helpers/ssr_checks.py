"""Sample-size re-estimation tests' shared pieces: one rule of each kind, and the check that an
operating characteristic by quadrature agrees with one by simulation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from trialdesk.stats.design.ssr import OperatingCharacteristics, SampleSizeRule


def rule_kinds(n: float, *, n_min: float, n_max: float, theta: float) -> list[Any]:
    """Two stages of ``n`` each: fixed, re-estimated under the observed effect within
    ``[n_min, n_max]``, promising zone up to ``n_max``, and re-estimated under the planned effect
    ``theta`` up to ``n_max`` (as parameters named by their kind)."""
    return [
        pytest.param(SampleSizeRule((n, n)), id="fixed"),
        pytest.param(SampleSizeRule((n, n), n_min=n_min, n_max=n_max), id="ssr"),
        pytest.param(SampleSizeRule((n, n), n_max=n_max, promising=(0.3, 0.8)),
                     id="promising-zone"),
        pytest.param(SampleSizeRule((n, n), n_max=n_max, theta=theta, target=0.9),
                     id="ssr-planned-effect"),
    ]


def assert_integration_matches_simulation(
    exact: OperatingCharacteristics, sim: OperatingCharacteristics, rule: SampleSizeRule,
    sims: int,
) -> None:
    """Per stage, rejection and futility within 4 binomial SE of the simulation; the expected size
    and the probability of an increase within 4 of their SE."""
    np.testing.assert_array_less(np.abs(exact.reject - sim.reject), 4 * sim.se + 1e-12)
    f = exact.futility[0]
    assert abs(f - sim.futility[0]) <= 4 * math.sqrt(f * (1 - f) / sims) + 1e-12
    # The stage-2 size lies in [n_min, n_max], so its SD is at most half that range; the stage-1
    # size is added to the range as a margin.
    n1, planned = rule.n_planned
    spread = (rule.n_max or planned) - (rule.n_min or planned) + n1
    assert abs(exact.expected_n - sim.expected_n) <= 4 * spread / 2 / math.sqrt(sims)
    p = exact.p_increase
    assert abs(p - sim.p_increase) <= 4 * math.sqrt(max(p * (1 - p), 1e-4) / sims)
