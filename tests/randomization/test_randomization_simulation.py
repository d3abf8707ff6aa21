"""The vectorized simulators agree with the procedures they stand for."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from math import factorial

import numpy as np
import pytest

from trialdesk.randomization import get_procedure
from trialdesk.randomization.minimization import Minimization

LEVELS = [[0.2, 0.3, 0.5], [0.5, 0.5]]


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"imbalance": "variance", "weights": [2.0, 1.0]},
        {"ratio": (2, 1)},
        {"weights": [1.0, 0.3]},
    ],
)
def test_two_arm_minimization_shortcut_matches_the_general_rule(parameters):
    # The two-arm simulator keeps one signed number per level instead of the counts; given the
    # same draws it must take exactly the decisions of the general (any number of arms) rule.
    procedure = Minimization(p=0.8, **parameters)
    sims, length = 2000, 40
    fast = procedure.simulate(length, sims, np.random.default_rng(5), LEVELS)
    rng = np.random.default_rng(5)
    cumulative = [np.cumsum(p) / np.sum(p) for p in LEVELS]
    levels = np.stack(
        [
            np.minimum(np.searchsorted(c, rng.random((length, sims)), side="right"), len(c) - 1)
            for c in cumulative
        ],
        axis=2,
    )
    u = rng.random((length, sims))
    counts = np.zeros((sims, 2, 3, 2), dtype=np.int64)
    general = np.stack(
        [procedure._general_step(counts, levels[i], u[i]) for i in range(length)], axis=1
    )
    np.testing.assert_array_equal(fast, general)


def test_three_arm_minimization_simulates_balanced_margins():
    arms = Minimization(ratio=(1, 1, 1), p=0.9).simulate(60, 500, np.random.default_rng(1), LEVELS)
    totals = np.stack([(arms == k).sum(axis=1) for k in range(3)], axis=1)
    assert (totals.max(axis=1) - totals.min(axis=1)).max() <= 6


@pytest.mark.parametrize(("ratio", "size"), [((1, 1), 4), ((2, 1), 6), ((1, 1, 1), 3)])
def test_simulated_blocks_are_balanced_at_every_block_end(ratio, size):
    # (Random sizes are checked against the exact dynamic program in the assessment tests.)
    procedure = get_procedure("permuted-blocks", ratio=ratio, block_sizes=[size])
    arms = procedure.simulate(5 * size, 5_000, np.random.default_rng(2))
    for end in range(size, 5 * size + 1, size):
        totals = np.stack([(arms[:, :end] == k).sum(axis=1) for k in range(len(ratio))], axis=1)
        assert (totals == np.array(ratio) * end // sum(ratio)).all()
    first_blocks = Counter(map(bytes, arms[:, :size].astype(np.int8)))
    assert len(first_blocks) == _multinomial(size, ratio)


def _multinomial(size: int, ratio: tuple[int, ...]) -> int:
    result = factorial(size)
    for weight in ratio:
        result //= factorial(weight * size // sum(ratio))
    return result


def test_the_core_package_imports_no_django():
    code = (
        "import sys, trialdesk.randomization, trialdesk.randomization.assessment; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("ratio", [(1, 1), (2, 1), (1, 3)])
def test_two_arm_metrics_shortcut_matches_the_general_computation(ratio):
    from trialdesk.randomization.assessment.monte_carlo import _general_metrics, _two_arm_metrics

    arms = np.random.default_rng(3).integers(0, 2, size=(500, 37)).astype(np.int8)
    fast = _two_arm_metrics(arms, ratio, (0, 1, 2))
    general = _general_metrics(arms, ratio, (0, 1, 2))
    assert fast.keys() == general.keys()
    for key in fast:
        np.testing.assert_allclose(fast[key], general[key], rtol=1e-12, err_msg=key)
