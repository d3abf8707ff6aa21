"""`trialdesk design adaptive` through click's test runner."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.stats.design.combination import fisher_design, inverse_normal_design
from trialdesk.stats.design.conditional_power import conditional_power, theta_means
from trialdesk.stats.design.conditional_power_fisher import conditional_power_fisher, p_from_z
from trialdesk.stats.design.ssr import SampleSizeRule, next_size, oc_integration
from trialdesk.stats.design.ssr_fisher import next_size_fisher, oc_integration_fisher


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["design", "adaptive", *args])
    return result.exit_code, result.output


def run_json(*args: str) -> dict:
    code, out = run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_inverse_normal_boundaries_match_rpact():
    # rpact getDesignInverseNormal() (kMax = 3): criticalValues 3.4710914, 2.4544323, 2.0040356
    out = run_json("--stages", "3")
    np.testing.assert_allclose(
        out["design"]["critical_values"], [3.4710914, 2.4544323, 2.0040356], rtol=1e-6
    )
    code, text = run("--stages", "3")
    assert code == 0
    assert "3.4710914" in text and "critical z" in text


def test_fisher_boundaries_and_interim_decision():
    # rpact getDesignFisher(): criticalValues 0.012308547, 0.0016635923, 0.00029106687
    out = run_json("--test", "fisher", "--stages", "3", "--interim-z", "2.5")
    np.testing.assert_allclose(
        out["design"]["critical_values"], [0.012308547, 0.0016635923, 0.00029106687], rtol=1e-6
    )
    # z = 2.5 -> p = 0.00621 <= 0.0123: reject at the first stage.
    assert out["interim"]["decision"] == "reject"
    assert out["interim"]["p_values"][0] == pytest.approx(0.0062096653)


def test_interim_conditional_power_and_reestimation():
    args = ["--stage-n", "221,221", "--interim-z", "1.3", "--effect", "2", "--sd", "7.5",
            "--n-max", "663", "--promising", "0.36,0.8", "--kind", "obf",
            "--information-rates", "0.5,1"]
    out = run_json(*args)
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    theta = theta_means(2.0, 7.5)
    it = out["interim"]
    assert it["cp_planned"] == pytest.approx(conditional_power(design, [1.3], [221], theta))
    assert it["cp_observed"] == pytest.approx(
        conditional_power(design, [1.3], [221], 1.3 / np.sqrt(221))
    )
    rule = SampleSizeRule((221, 221), n_max=663, promising=(0.36, 0.8))
    assert it["next_stage_n"] == pytest.approx(next_size(design, rule, [1.3]))
    assert 221 < it["next_stage_n"] <= 663
    code, text = run(*args)
    assert code == 0
    assert "conditional power, observed effect" in text and "next stage" in text


def test_operating_characteristics_two_stages_by_integration():
    args = ["--stage-n", "100,100", "--rates", "0.45,0.3", "--n-max", "300",
            "--kind", "obf", "--information-rates", "0.5,1", "--oc"]
    out = run_json(*args)
    assert out["oc"]["H0"]["power"] == pytest.approx(0.025, abs=1e-9)
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    expected = oc_integration(design, SampleSizeRule((100, 100), n_max=300), out["theta"])
    assert out["oc"]["H1"]["power"] == pytest.approx(expected.power)
    assert out["oc"]["H1"]["method"] == "integration"


def test_three_stage_operating_characteristics_by_simulation_are_seeded():
    args = ["--stages", "3", "--stage-n", "18,27,45", "--effect", "0.8", "--sd", "3.5",
            "--n-min", "10", "--n-max", "100", "--oc", "--sims", "5000"]
    a, b = run_json(*args), run_json(*args)
    assert a["oc"] == b["oc"]
    assert a["oc"]["H1"]["method"].startswith("simulation")


def test_fisher_interim_conditional_power_and_reestimation():
    args = ["--test", "fisher", "--alpha0", "0.5", "--stage-n", "100,100", "--interim-z", "1.4",
            "--effect", "0.4", "--n-max", "300", "--promising", "0.3,0.8",
            "--information-rates", "0.5,1"]
    out = run_json(*args)
    design = fisher_design(2, alpha0=0.5, information_rates=[0.5, 1.0])
    p = p_from_z([1.4])
    theta = theta_means(0.4, 1.0)
    it = out["interim"]
    assert it["decision"] == "continue" and it["cp_method"] == "exact"
    assert it["cp_planned"] == pytest.approx(
        conditional_power_fisher(design, p, [100], theta).value)
    assert it["cp_observed"] == pytest.approx(
        conditional_power_fisher(design, p, [100], 1.4 / 10).value)
    rule = SampleSizeRule((100, 100), n_max=300, promising=(0.3, 0.8))
    assert it["next_stage_n"] == pytest.approx(next_size_fisher(design, rule, p))
    code, text = run(*args)
    assert code == 0
    assert "next stage rejects for p <=" in text and "[exact]" in text


def test_fisher_three_stage_conditional_power_is_simulated_and_seeded():
    args = ["--test", "fisher", "--stages", "3", "--stage-n", "50,50,50", "--interim-z", "1.2",
            "--effect", "0.5", "--sims", "20000", "--seed", "5"]
    a, b = run_json(*args), run_json(*args)
    assert a["interim"] == b["interim"]
    assert a["interim"]["cp_method"] == "simulation (20000 trials, seed 5)"
    design = fisher_design(3)
    expected = conditional_power_fisher(design, p_from_z([1.2]), [50, 50], 0.25, sims=20000,
                                        seed=5)
    assert a["interim"]["cp_planned"] == pytest.approx(expected.value)


def test_fisher_operating_characteristics():
    args = ["--test", "fisher", "--stage-n", "100,100", "--rates", "0.45,0.3", "--n-max", "300",
            "--information-rates", "0.5,1", "--oc"]
    out = run_json(*args)
    assert out["oc"]["H0"]["power"] == pytest.approx(0.025, abs=1e-9)
    design = fisher_design(2, information_rates=[0.5, 1.0])
    expected = oc_integration_fisher(design, SampleSizeRule((100, 100), n_max=300), out["theta"])
    assert out["oc"]["H1"]["power"] == pytest.approx(expected.power)
    three = run_json("--test", "fisher", "--stages", "3", "--stage-n", "50,50,50", "--effect",
                     "0.5", "--n-max", "150", "--oc", "--sims", "5000")
    assert three["oc"]["H1"]["method"] == "simulation (5000 trials, seed 2011)"


@pytest.mark.parametrize(
    "args",
    [
        ["--alpha", "0.7"],
        ["--information-rates", "0.5,1", "--stages", "3"],
        ["--interim-z", "1.0"],  # no --stage-n
        ["--stage-n", "10,10", "--interim-z", "1,1"],  # no interim left
        ["--rates", "0.4"],
        ["--promising", "0.8,0.3"],
        ["--test", "fisher", "--oc"],
        ["--oc"],
    ],
)
def test_bad_options_are_refused(args):
    code, out = run(*args)
    assert code == 2, out
    assert "Error" in out


def test_bad_options_are_refused_before_the_statistics_are_imported():
    probe = (
        "import sys\n"
        "from trialdesk.cli import main\n"
        "try:\n"
        "    main(['design', 'adaptive', '--alpha', '0.7'], prog_name='trialdesk')\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 2, stop.code\n"
        "assert 'scipy' not in sys.modules and 'numpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True)


def test_a_z_beyond_floating_point_is_refused_naming_the_option():
    # p = 1 - Phi(40) is 0 in double precision: a usage error, not a traceback
    code, out = run("--test", "fisher", "--interim-z", "40", "--stage-n", "100,100",
                    "--effect", "0.3")
    assert code == 2 and "--interim-z" in out and "p-values must lie in (0, 1]" in out
