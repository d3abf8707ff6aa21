"""`trialdesk design ...` through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import trialdesk.stats.design.spec as spec_module
from trialdesk.cli import main

EXAMPLE = Path(spec_module.__file__).resolve().parent / "examples" / "three_look_obf.toml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["design", *args])
    return result.exit_code, result.output


def run_json(*args: str) -> dict:
    code, out = run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_boundaries_json_matches_rpact():
    # rpact getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asOF")
    out = run_json(
        "boundaries", "--looks", "3", "--alpha", "0.025", "--sided", "1", "--spending", "obf"
    )
    np.testing.assert_allclose(out["upper"], [3.7103, 2.5114, 1.9930], atol=1e-4)
    assert out["cumulative_alpha"][-1] == pytest.approx(0.025)
    assert out["inflation_factor"] > 1
    assert "lower" not in out


def test_boundaries_classical_and_futility_options():
    out = run_json("boundaries", "--spending", "classical-obf")
    np.testing.assert_allclose(out["upper"], [3.4711, 2.4544, 2.0040], atol=1e-4)
    fut = run_json(
        "boundaries",
        "--information-rates",
        "0.2,0.5,0.7,1",
        "--beta",
        "0.2",
        "--futility",
        "obf",
        "--spending",
        "hsd",
        "--gamma",
        "-4",
    )
    assert len(fut["upper"]) == 4 and len(fut["lower"]) == 4
    assert fut["lower"][-1] == pytest.approx(fut["upper"][-1])
    assert fut["cumulative_beta"][-1] == pytest.approx(0.2)
    kd = run_json("boundaries", "--spending", "kd", "--rho", "3", "--looks", "5")
    assert len(kd["upper"]) == 5


def test_boundaries_effect_scale_sample_size_and_interim_update():
    out = run_json("boundaries", "--effect", "0.2", "--n-fixed", "162.45")
    assert len(out["effect_scale"]) == 3 and out["effect_scale"][-1] < 0.2
    assert out["max_sample_size"] == pytest.approx(162.45 * out["inflation_factor"])
    assert out["expected_sample_size_h1"] < out["max_sample_size"]
    upd = run_json("boundaries", "--observed-rates", "0.4")
    assert upd["information_rates"][0] == pytest.approx(0.4)
    assert upd["cumulative_alpha"][-1] == pytest.approx(0.025)
    fin = run_json("boundaries", "--observed-rates", "0.4,0.9", "--final")
    assert len(fin["upper"]) == 2
    code, text = run("boundaries", "--effect", "0.2", "--n-fixed", "100")
    assert code == 0 and "effect scale" in text and "maximum" in text


def test_boundaries_text_table():
    code, out = run(
        "boundaries", "--looks", "2", "--sided", "2", "--alpha", "0.05", "--spending", "pocock"
    )
    assert code == 0
    assert "Pocock type" in out and "inflation factor" in out


def test_sample_size_commands():
    p = run_json(
        "sample-size",
        "proportions",
        "--p-control",
        "0.4",
        "--p-treatment",
        "0.2",
        "--alpha",
        "0.05",
        "--sided",
        "2",
        "--power",
        "0.8",
    )
    assert p["n_per_arm"] == 82 and p["n_total"] == 164
    assert p["n_per_arm_exact"] == pytest.approx(81.224, abs=1e-3)
    cc = run_json(
        "sample-size",
        "proportions",
        "--p-control",
        "0.4",
        "--p-treatment",
        "0.2",
        "--continuity-correction",
        "--dropout",
        "0.1",
    )
    assert cc["n_per_arm"] == 102  # ceil(90.95 / 0.9)
    gs = run_json(
        "sample-size",
        "proportions",
        "--p-control",
        "0.4",
        "--p-treatment",
        "0.2",
        "--alpha",
        "0.025",
        "--sided",
        "1",
        "--looks",
        "3",
    )
    assert gs["n_per_arm"] == 83
    s = run_json("sample-size", "survival", "--hazard-ratio", "0.75", "--power", "0.9")
    assert s["events"] == 508
    s2 = run_json(
        "sample-size",
        "survival",
        "--hazard-ratio",
        "0.6",
        "--median-control",
        "12",
        "--accrual-time",
        "24",
        "--follow-up",
        "12",
    )
    assert s2["n_total"] > s2["events"]
    m = run_json("sample-size", "means", "--delta", "1", "--power", "0.9")
    assert m["n_per_arm_exact"] == pytest.approx(22.02110, abs=1e-4)
    f = run_json(
        "sample-size", "proportions", "--p-control", "0.4", "--p-treatment", "0.1", "--fisher"
    )
    assert f["n_per_arm"] >= 1 and "Fisher" in f["method"]


def test_simulate_example_spec_reports_simulated_and_exact(tmp_path):
    plot = tmp_path / "sim.png"
    out = run_json(
        "simulate",
        str(EXAMPLE),
        "--sims",
        "20000",
        "--seed",
        "3",
        "--no-progress",
        "--plot",
        str(plot),
    )
    assert out["sims"] == 20000 and out["seed"] == 3
    assert len(out["scenarios"]) == 3
    for s in out["scenarios"]:
        assert "exact" in s and "normal_approximation" in s
        se = s["standard_error"]
        assert abs(s["rejection_probability"] - s["exact"]["rejection_probability"]) < 4 * se + 1e-4
    assert plot.stat().st_size > 5000
    code, text = run("simulate", str(EXAMPLE), "--sims", "5000", "--no-progress")
    assert code == 0 and "exact" in text and "simulated" in text


def test_simulate_on_a_dask_scheduler_equals_the_run_in_process():
    from distributed import LocalCluster

    args = ("simulate", str(EXAMPLE), "--sims", "6000", "--seed", "3", "--no-progress")
    here = run_json(*args)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        on_dask = run_json(*args, "--cluster", cluster.scheduler_address)
    del here["seconds"], on_dask["seconds"]
    assert on_dask == here


@pytest.mark.parametrize(("extra", "message"), [
    (("--cluster", "localhost:8786"), "tcp://HOST:PORT"),
    (("--cluster", "tcp://127.0.0.1:8786", "--workers", "2"), "not both"),
])
def test_simulate_refuses_a_bad_cluster_option(extra, message):
    code, out = run("simulate", str(EXAMPLE), "--sims", "10", *extra)
    assert code == 2 and message in out


def test_simulate_bad_spec_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[design]\nn_total = 100\ndropout = 2\n[[scenarios]]\np_control = 0.4\np_treatment = 0.3\n"
    )
    code, out = run("simulate", str(bad), "--sims", "10")
    assert code == 2 and "design.dropout" in out


def test_report_default_trial(tmp_path, test_output_dir):
    out = run_json("report")
    assert out["n_total"] == 40 and out["p_control"] == 0.4
    assert [s["setting"] for s in out["settings"]] == [
        "two-sided 0.05",
        "one-sided 0.1",
        "one-sided 0.2",
    ]
    plot = test_output_dir / "design_report.png"
    code, text = run("report", "--plot", str(plot))
    assert code == 0 and "20 per arm" in text and plot.exists()


def test_predictive_command():
    out = run_json(
        "predictive",
        "--events",
        "16",
        "--n",
        "23",
        "--n-max",
        "40",
        "--p0",
        "0.6",
        "--prior",
        "0.6,0.4",
    )
    assert out["predictive_probability"] == pytest.approx(0.5656, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["boundaries", "--alpha", "1.5"], "--alpha"),
        (["boundaries", "--information-rates", "0.5,0.4,1"], "increasing"),
        (["boundaries", "--information-rates", "a,b"], "--information-rates"),
        (["boundaries", "--observed-rates", "0.5,0.3"], "--observed-rates"),
        (["boundaries", "--sided", "2", "--futility", "obf"], "one-sided"),
        (
            ["sample-size", "proportions", "--p-control", "0.4", "--p-treatment", "0.4"],
            "--p-treatment",
        ),
        (["sample-size", "survival", "--hazard-ratio", "1"], "--hazard-ratio"),
        (["sample-size", "survival", "--hazard-ratio", "0.7", "--median-control", "5"], "together"),
        (["report", "--n-total", "41"], "--n-total"),
        (["report", "--settings", "0.05"], "--settings"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args, needle):
    code, out = run(*args)
    assert code == 2
    assert needle in out
