"""Vectorized simulation: agreement with exact and analytical results, reproducibility, SPEC."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import trialdesk.stats.design.spec as spec_module
from trialdesk.stats.design.simulate import simulate, simulate_chunk, simulate_trial_loop
from trialdesk.stats.design.spec import SpecError, load_spec, parse_spec

# Examples ship next to the module (editable install): found relative to the module file.
EXAMPLE = Path(spec_module.__file__).resolve().parent / "examples" / "three_look_obf.toml"


def _within(sim: float, expected: float, n: int, k: float = 3.0) -> bool:
    se = math.sqrt(max(expected * (1 - expected), 1e-12) / n)
    return abs(sim - expected) <= k * se


def test_example_spec_agrees_with_exact_operating_characteristics():
    spec = load_spec(EXAMPLE)
    sims = 200_000
    results = simulate(spec, sims, seed=1, progress=False)
    assert [r.scenario.name for r in results] == [s.name for s in spec.scenarios]
    for r in results:
        assert r.exact is not None
        assert _within(r.rejection_probability, r.exact.rejection_probability, sims)
        for k in range(3):
            assert _within(r.tally.upper[k] / sims, r.exact.upper[k], sims)
        assert r.tally.sum_analysed / sims == pytest.approx(r.exact.expected_n, abs=0.5)
    # the null scenario: the true size of the normal-approximation design is not 0.025
    null = results[0]
    assert null.normal_approximation.upper.sum() == pytest.approx(0.025, abs=1e-9)
    assert null.exact.rejection_probability == pytest.approx(0.0257, abs=2e-4)


def _spec(**design):
    base = {
        "name": "test",
        "design": {"n_total": 120, "information_rates": [0.5, 1.0], **design},
        "scenarios": [
            {"name": "null", "p_control": 0.4, "p_treatment": 0.4},
            {"name": "effect", "p_control": 0.4, "p_treatment": 0.2},
        ],
    }
    return base


def test_binary_design_with_non_binding_futility_agrees_with_exact():
    spec = parse_spec(
        _spec(
            boundaries={"spending": "hsd", "gamma": -4, "futility": "hsd", "beta": 0.2},
            information_rates=[0.3, 0.6, 1.0],
        )
    )
    sims = 200_000
    for r in simulate(spec, sims, seed=2, progress=False):
        assert _within(r.rejection_probability, r.exact.rejection_probability, sims)
        for k in range(3):
            assert _within(r.tally.lower[k] / sims, r.exact.lower[k], sims)
    # ignoring the (non-binding) futility bound can only raise the rejection rate
    assert r.tally.reject_ignoring_futility >= r.tally.upper.sum()


def _normal_spec(boundaries, sided_scenarios=None):
    return parse_spec(
        {
            "name": "normal endpoint",
            "design": {
                "endpoint": "normal",
                "n_total": 200,
                "participants": [50, 100, 150, 200],
                "boundaries": boundaries,
            },
            "scenarios": sided_scenarios
            or [
                {"name": "null", "mean_control": 0.0, "mean_treatment": 0.0, "sd": 2.0},
                {"name": "effect", "mean_control": 1.0, "mean_treatment": 1.8, "sd": 2.0},
            ],
        }
    )


@pytest.mark.parametrize(
    "boundaries",
    [
        {"spending": "pocock", "futility": "kd", "futility_rho": 2.0, "binding": True},
        {"spending": "obf", "sided": 2, "alpha": 0.05},
    ],
)
def test_normal_endpoint_agrees_with_numerical_integration(boundaries):
    # With a known sd the z-statistics follow the canonical joint distribution exactly, so the
    # recursive integration gives the true operating characteristics.
    spec = _normal_spec(boundaries)
    sims = 200_000
    for r in simulate(spec, sims, seed=3, progress=False):
        na = r.normal_approximation
        assert _within(r.rejection_probability, float(na.upper.sum()), sims)
        for k in range(4):
            assert _within(r.tally.upper[k] / sims, na.upper[k], sims)
            assert _within(r.tally.lower[k] / sims, na.lower[k], sims)
        assert r.exact is None


def test_seed_reproduces_results_whatever_the_number_of_workers():
    spec = load_spec(EXAMPLE)
    one = simulate(spec, 30_000, seed=5, workers=1, chunk=10_000, progress=False)
    two = simulate(spec, 30_000, seed=5, workers=2, chunk=10_000, progress=False)
    again = simulate(spec, 30_000, seed=5, workers=1, chunk=10_000, progress=False)
    other = simulate(spec, 30_000, seed=6, workers=1, chunk=10_000, progress=False)
    for a, b, c in zip(one, two, again, strict=True):
        np.testing.assert_array_equal(a.tally.upper, b.tally.upper)
        assert a.tally.sum_duration == b.tally.sum_duration == c.tally.sum_duration
    assert any((a.tally.upper != d.tally.upper).any() for a, d in zip(one, other, strict=True))


def test_two_dask_workers_give_the_results_of_this_process_bit_for_bit():
    import dataclasses

    from trialdesk.stats.design.grid_dask import dask_client

    spec = load_spec(EXAMPLE)
    here = simulate(spec, 7_000, seed=5, chunk=1_000, progress=False)
    with dask_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        on_dask = simulate(spec, 7_000, seed=5, chunk=1_000, progress=False, client=client)
    for a, b in zip(here, on_dask, strict=True):
        for field in dataclasses.fields(a.tally):
            assert np.array_equal(getattr(a.tally, field.name), getattr(b.tally, field.name))
        assert a.to_dict(spec) == b.to_dict(spec)


def test_vectorized_and_per_trial_loop_agree_with_random_allocation_and_dropout():
    for randomization in ("simple", "block"):
        spec = parse_spec(
            _spec(
                randomization=randomization,
                block_size=6,
                dropout=0.1,
                participants=[40, 70, 120],
                information_rates=None,
            )
            | {"scenarios": [{"name": "effect", "p_control": 0.45, "p_treatment": 0.2}]}
        )
        assert not spec.deterministic_arms()
        scenario = spec.scenarios[0]
        reps = 4000
        rng = np.random.default_rng(8)
        loop = [simulate_trial_loop(spec, scenario, rng) for _ in range(reps)]
        loop_power = np.mean([kind == "upper" for _, kind in loop])
        vec = simulate_chunk(spec, scenario, 200_000, 9)
        vec_power = vec.upper.sum() / vec.n
        se = math.sqrt(vec_power * (1 - vec_power) * (1 / reps + 1 / vec.n))
        assert abs(loop_power - vec_power) < 3 * se, randomization


@pytest.mark.parametrize(
    ("name", "params"),
    [("permuted-blocks", {"block_sizes": [2, 4]}), ("efron", {"p": 2 / 3})],
)
def test_randomization_package_procedures_drive_the_simulation(name, params):
    spec = parse_spec(
        _spec(
            randomization=name,
            randomization_parameters=params,
            participants=[41, 80, 120],
            information_rates=None,
        )
        | {"scenarios": [{"name": "effect", "p_control": 0.45, "p_treatment": 0.2}]}
    )
    assert spec.procedure is not None and not spec.deterministic_arms()
    from trialdesk.stats.design.simulate import _treatment_counts

    counts = _treatment_counts(np.random.default_rng(0), spec, 20_000)
    # both procedures keep the arms close to 1:1; blocks of 2 and 4 within 2 at any point
    assert np.all(
        np.abs(2 * counts - spec.participants) <= (4 if name == "permuted-blocks" else 41)
    )
    assert counts[:, 0].mean() == pytest.approx(20.5, abs=0.1)
    if name != "permuted-blocks":
        return  # Efron's coin is slow to draw one trial at a time; its counts are checked above
    reps = 3000
    rng = np.random.default_rng(8)
    loop = [simulate_trial_loop(spec, spec.scenarios[0], rng) for _ in range(reps)]
    loop_power = np.mean([kind == "upper" for _, kind in loop])
    vec = simulate_chunk(spec, spec.scenarios[0], 100_000, 9)
    vec_power = vec.upper.sum() / vec.n
    se = math.sqrt(vec_power * (1 - vec_power) * (1 / reps + 1 / vec.n))
    assert abs(loop_power - vec_power) < 3 * se


def test_dynamic_or_unknown_procedures_are_refused():
    with pytest.raises(SpecError, match="dynamic"):
        parse_spec(_spec(randomization="minimization"))
    with pytest.raises(SpecError, match=r"design\.randomization"):
        parse_spec(_spec(randomization="coin-of-destiny"))


def test_block_randomization_keeps_arms_balanced_at_block_ends():
    spec = parse_spec(
        _spec(
            randomization="block", block_size=4, participants=[10, 11, 120], information_rates=None
        )
    )
    from trialdesk.stats.design.simulate import _block_treatment_counts

    counts = _block_treatment_counts(np.random.default_rng(1), spec, 50_000)
    assert np.all(counts[:, 2] == 60)
    # at 10 participants: 2 full blocks (4 on treatment) + 2 of a block (0..2 on treatment)
    assert set(np.unique(counts[:, 0])) == {4, 5, 6}
    assert counts[:, 0].mean() == pytest.approx(5.0, abs=0.02)
    # at 11 the same block goes on: 3 of its 4 drawn, consistent with the draw at 10
    assert set(np.unique(counts[:, 1] - counts[:, 0])) == {0, 1}
    assert set(np.unique(counts[:, 1])) == {5, 6}
    assert counts[:, 1].mean() == pytest.approx(5.5, abs=0.02)


def test_durations_and_overrun():
    spec = load_spec(EXAMPLE)
    r = simulate(spec, 50_000, seed=4, progress=False)[0]
    t = r.to_dict(spec)
    # under H0 nearly every trial runs to the end: 166 at 10/month, plus 28 days of follow-up
    expected = 166 / spec.accrual_per_day + 28
    assert t["expected_duration_days"] == pytest.approx(expected, rel=0.01)
    assert t["expected_n_enrolled"] >= t["expected_n_analysed"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"design": {"n_total": 100, "information_rates": [0.5, 0.9]}}, "end at 1"),
        ({"design": {"n_total": 100, "endpoint": "ordinal"}}, "design.endpoint"),
        ({"design": {"n_total": 100, "allocation": [1, 0]}}, "design.allocation"),
        ({"design": {"n_total": 100, "dropout": 1.5}}, "design.dropout"),
        ({"design": {"n_total": 100, "boundaries": {"sided": 3}}}, "sided"),
        ({"design": {"n_total": "many"}}, "design.n_total"),
        ({"design": {}}, "n_total, n_per_arm or participants"),
        ({"scenarios": []}, "scenarios"),
        ({"scenarios": [{"p_control": 0.4}]}, "p_treatment"),
    ],
)
def test_spec_errors_name_the_key(change, message):
    data = {
        "design": {"n_total": 100},
        "scenarios": [{"name": "x", "p_control": 0.4, "p_treatment": 0.3}],
    } | change
    with pytest.raises(SpecError, match=message):
        parse_spec(data)


def test_explicit_bounds_in_spec():
    spec = parse_spec(
        _spec(information_rates=[0.5, 1.0], boundaries={"upper": [2.8, 1.98], "lower": [0.0, 1.98]})
    )
    assert spec.bounds.futility
    np.testing.assert_allclose(spec.bounds.lower, [0.0, 1.98])


def test_every_shipped_example_parses_and_runs():
    # a grid file (``[grid]``: design searches, tests/stats/design/test_design_grid.py) is not a
    # single design
    examples = sorted(path for path in EXAMPLE.parent.glob("*.toml")
                      if not path.read_text(encoding="utf-8").lstrip().startswith("[grid]")
                      and "\n[grid]" not in path.read_text(encoding="utf-8"))
    assert {p.name for p in examples} >= {"three_look_obf.toml", "default_trial.toml"}
    for path in examples:
        spec = load_spec(path)
        results = simulate(spec, 2000, seed=1, progress=False)
        assert len(results) == len(spec.scenarios)
        for r in results:
            assert 0 <= r.rejection_probability <= 1
