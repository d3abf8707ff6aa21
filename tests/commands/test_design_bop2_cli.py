"""`trialdesk design bop2` through click's test runner."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.stats.design import bop2

JOINT = ["--null-cells", "0.15,0.30,0.15,0.40", "--alt-cells", "0.18,0.42,0.02,0.38"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["design", "bop2", *args])
    return result.exit_code, result.output


def test_fixed_lambda_gamma_prints_the_bop2fe_readme_boundaries():
    # BOP2FE 1.0.3 README "Joint endpoint" (lambda 0.7, gamma 1): response 3 5 8 10 13 16 19,
    # toxicity 5 6 7 8 9 10 11.
    code, out = run("--looks", "10,15,20,25,30,35,40", *JOINT, "--lambda", "0.7",
                    "--gamma", "1", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert [r["stop_if_eff_at_most"] for r in data["boundaries"]] == [3, 5, 8, 10, 13, 16, 19]
    assert [r["stop_if_tox_at_least"] for r in data["boundaries"]] == [5, 6, 7, 8, 9, 10, 11]
    assert data["calibrated"] is False and data["oc"]["null"]["method"] == "exact"


def test_calibrated_single_endpoint_design_matches_the_core():
    code, out = run("--looks", "10,20,30,40", "--p0", "0.2", "--p1", "0.4", "--json")
    assert code == 0, out
    data = json.loads(out)
    design = bop2.calibrate(bop2.single_endpoint((10, 20, 30, 40), 0.2, 0.4), 0.1)
    assert (data["lambda"], data["gamma"]) == (design.lam, design.gamma)
    assert data["oc"]["null"]["p_promising"] == pytest.approx(design.null_oc.p_promising)
    assert data["oc"]["null"]["p_promising"] <= 0.1
    assert data["phi_tox"] is None


def test_text_output_with_simulation_and_an_extra_scenario():
    code, out = run("--looks", "10,20,30,40", *JOINT, "--alpha", "0.05", "--oc-method",
                    "simulation", "--sims", "20000", "--scenario", "0.25,0.35,0.05,0.35")
    assert code == 0, out
    assert "stop if #eff <=" in out and "stop if #tox >=" in out
    assert "scenario 1: P(promising)" in out and "simulation (20000 trials, seed 2017)" in out


def test_interim_counts_against_the_boundary():
    # BOP2FE README joint boundaries at n = 20 (lambda 0.7, gamma 1): stop if responses <= 8
    # or toxicities >= 7.
    base = ["--looks", "10,15,20,25,30,35,40", *JOINT, "--lambda", "0.7", "--gamma", "1"]
    code, out = run(*base, "--interim", "20,8,3", "--json")
    assert code == 0, out
    it = json.loads(out)["interim"]
    assert it["stop_for_futility"] and not it["stop_for_toxicity"] and it["at_look"]
    code, out = run(*base, "--interim", "20,9,6")
    assert code == 0 and out.rstrip().endswith("continue")
    code, out = run(*base, "--interim", "20,9,7")
    assert code == 0 and out.rstrip().endswith("stop for toxicity")


@pytest.mark.parametrize("args,word", [
    (["--looks", "10,20", "--p0", "0.2", "--p1", "0.4", "--interim", "30,1,1"], "--interim"),
    (["--looks", "20,10", "--p0", "0.2", "--p1", "0.4"], "--looks"),
    (["--looks", "10,20", "--p0", "0.4", "--p1", "0.2"], "--p1"),
    (["--looks", "10,20", "--null-cells", "0.5,0.5,0.5,0.5", "--alt-cells",
      "0.18,0.42,0.02,0.38"], "--null-cells"),
    (["--looks", "10,20", "--p0", "0.2", "--p1", "0.4", "--lambda", "0.9"], "--gamma"),
    (["--looks", "10,20", "--p0", "0.2", "--p1", "0.4", *JOINT], "--p0"),
    (["--looks", "10,20", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.7"], "--alpha"),
])
def test_bad_options_are_named(args, word):
    code, out = run(*args)
    assert code == 2 and word in out


def test_bad_options_are_answered_before_the_statistics_are_imported():
    probe = (
        "import sys\nfrom click.testing import CliRunner\nfrom trialdesk.cli import main\n"
        "r = CliRunner().invoke(main, ['design', 'bop2', '--looks', '20,10', '--p0', '0.2',"
        " '--p1', '0.4'])\nassert r.exit_code == 2, r.output\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
