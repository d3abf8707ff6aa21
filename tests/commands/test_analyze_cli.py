"""``trialdesk analyze ...`` through click's runner: text, --json, --plot, and refusals (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from trialdesk.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["analyze", *args], catch_exceptions=False)


@pytest.fixture
def adtte(test_data: Path) -> Path:
    """The CDISC pilot ADTTE file (tests/data/README.md)."""
    return test_data / "cdiscpilot01" / "adam" / "adtte.xpt"


def test_proportions_from_counts_prints_the_table_with_the_test_named():
    result = run("proportions", "--events-a", "6", "--n-a", "21", "--events-b", "6", "--n-b",
                 "24", "--label-a", "group 1", "--label-b", "group 2")
    assert result.exit_code == 0, result.output
    assert "group 1" in result.output and "0.2857" in result.output
    assert "Test: Pearson's chi-squared test without continuity correction" in result.output
    assert "auto rule" in result.output


def test_proportions_json_holds_the_figures_and_test_choice_is_honoured():
    result = run("proportions", "--events-a", "0", "--n-a", "12", "--events-b", "3", "--n-b",
                 "29", "--test", "chi2-yates", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["test"]["name"] == "Pearson's chi-squared test with Yates' continuity correction"
    assert data["risk_difference"]["method"].startswith("Newcombe")
    assert data["a"]["events"] == 0 and data["b"]["n"] == 29
    assert data["test"]["p_value"] == pytest.approx(0.6182801344, abs=1e-9)


def test_proportions_from_a_file_with_a_forest_plot(tmp_path):
    data = tmp_path / "mortality.csv"
    pd.DataFrame({"arm": ["group 1"] * 4 + ["group 2"] * 4,
                  "died": [1, 0, 0, 0, 1, 1, 0, 0]}).to_csv(data, index=False)
    plot = tmp_path / "forest.svg"
    result = run("proportions", "--data", str(data), "--group", "arm", "--event", "died",
                 "--plot", str(plot))
    assert result.exit_code == 0, result.output
    assert "Fisher's exact test" in result.output
    assert plot.exists() and "<svg" in plot.read_text()[:500]


def test_survival_on_the_cdisc_pilot_with_two_of_three_arms(adtte, tmp_path):
    plot = tmp_path / "km.png"
    result = run("survival", "--data", str(adtte), "--time", "AVAL", "--censor", "CNSR",
                 "--group", "TRTA", "--groups", "Xanomeline High Dose", "--groups", "Placebo",
                 "--at", "30,90", "--json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["logrank"]["statistic"] == pytest.approx(52.32700413, rel=1e-6)
    assert data["hazard_ratio"]["estimate"] == pytest.approx(4.9202, abs=1e-4)
    assert data["a"]["median"] == 36
    assert data["rows_of_other_groups_left_out"] == 84
    assert [s["at_risk"] for s in data["b"]["at_times"]] == [69, 49]
    assert plot.stat().st_size > 10_000


def test_three_groups_without_choosing_two_is_refused_with_exit_2(adtte):
    result = run("survival", "--data", str(adtte), "--time", "AVAL", "--censor", "CNSR",
                 "--group", "TRTA")
    assert result.exit_code == 2
    assert "column 'TRTA': must hold exactly two groups, found 3" in result.output
    assert "--groups" in result.output


@pytest.fixture
def survival_file(tmp_path) -> Path:
    path = tmp_path / "survival.csv"
    pd.DataFrame({"day": [3, 10, 28, 28, 5, 28], "died": [1, 1, 0, 0, 1, 0],
                  "arm": ["group 1"] * 3 + ["group 2"] * 3}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        (lambda f: f, ["--time", "days"], "column 'days': not in the data"),
        (lambda f: f.assign(day=[-1, 10, 28, 28, 5, 28]), [], "column 'day': must not be negative"),
        (lambda f: f.assign(died=[2, 1, 0, 0, 1, 0]), [], "column 'died': must be 0 or 1"),
        (lambda f: f.assign(arm=["g"] * 6), [], "column 'arm': must hold exactly two groups"),
    ],
)
def test_bad_survival_input_exits_2_naming_column_and_rule(survival_file, change, args, message):
    change(pd.read_csv(survival_file)).to_csv(survival_file, index=False)
    base = {"--time": "day", "--event": "died", "--group": "arm"}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    flat = [item for pair in base.items() for item in pair]
    result = run("survival", "--data", str(survival_file), *flat)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_vfd_derived_from_ventilation_periods(tmp_path):
    path = tmp_path / "ventilation.csv"
    pd.DataFrame(
        {
            "pid": ["a1", "a2", "a3", "a3", "b1", "b2", "b3"],
            "arm": ["group 1", "group 1", "group 1", "group 1", "group 2", "group 2", "group 2"],
            "start": [0, None, 0, 10, 0, 0, 2],
            "stop": [5, None, 3, 12, None, 20, 9],
            "death": [None, None, None, None, 12, None, None],
        }
    ).to_csv(path, index=False)
    result = run("vfd", "--data", str(path), "--group", "arm", "--participant", "pid", "--start",
                 "start", "--stop", "stop", "--death-day", "death", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["a"]["n"] == 3 and data["b"]["n"] == 3
    # group 1: 23, 28, 23; group 2: 0 (died), 8, 21.
    assert data["a"]["median"] == 23 and data["b"]["median"] == 8
    assert data["b"]["zero_count"] == 1


def test_continuous_and_repeated_commands(tmp_path):
    pf = tmp_path / "pf.csv"
    pd.DataFrame({"arm": ["group 1", "group 1", "group 1", "group 2", "group 2", "group 2"],
                  "d0": [100, 120, 90, 110, 95, 130], "d7": [150, 170, 120, 120, 110, 150]}
                 ).to_csv(pf, index=False)
    result = run("continuous", "--data", str(pf), "--group", "arm", "--baseline", "d0",
                 "--followup", "d7", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["difference"]["method"].startswith("ANCOVA")

    cy = tmp_path / "cytokines.csv"
    rows = []
    for i in range(8):
        for day, value in zip((0, 7, 14), (10 + i, 8 + i / 2, 5 + i / 3), strict=True):
            rows.append({"id": f"p{i}", "arm": f"group {1 + i % 2}", "day": day,
                         "il6": value if i != 3 or day != 14 else "<2", "il10": value * 2})
    pd.DataFrame(rows).to_csv(cy, index=False)
    plot = tmp_path / "gm.png"
    result = run("repeated", "--data", str(cy), "--participant", "id", "--group", "arm", "--day",
                 "day", "--value", "il6", "--value", "il10", "--lod", "2", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    assert "il6: group 1 vs group 2" in result.output and "il10: group 1" in result.output
    assert "Below the limit of detection: 1 values" in result.output
    assert (tmp_path / "gm_il6.png").exists() and (tmp_path / "gm_il10.png").exists()


def test_consort_command_writes_svg_and_refuses_bad_arithmetic(tmp_path):
    counts = {
        "assessed": 60, "excluded": {"Ineligible": 20}, "randomized": 40,
        "arms": [
            {"label": "group 1", "allocated": 20, "received": 20, "analysed": 20},
            {"label": "group 2", "allocated": 20, "received": 19,
             "did_not_receive": {"Died before infusion": 1}, "analysed": 20},
        ],
    }
    good = tmp_path / "counts.json"
    good.write_text(json.dumps(counts))
    out = tmp_path / "consort.svg"
    result = run("consort", "--counts", str(good), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<svg")
    counts["arms"][1]["analysed"] = 21
    good.write_text(json.dumps(counts))
    result = run("consort", "--counts", str(good), "--out", str(tmp_path / "bad.svg"))
    assert result.exit_code == 2
    assert "CONSORT box 'Analysed (group 2)'" in result.output
    assert not (tmp_path / "bad.svg").exists()


def test_missing_arguments_are_usage_errors():
    result = run("proportions", "--events-a", "1", "--n-a", "5")
    assert result.exit_code == 2
    assert "give --events-a, --n-a, --events-b and --n-b" in result.output
    result = run("proportions", "--events-a", "9", "--n-a", "5", "--events-b", "1", "--n-b", "5")
    assert result.exit_code == 2 and "cannot exceed" in result.output
