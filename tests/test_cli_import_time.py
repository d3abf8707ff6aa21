"""The command line answers `--help` and bad arguments at once (issue 19).

Heavy libraries (Django, numpy, scipy, pandas, ...) are imported inside the commands that need
them. Each test runs in a fresh interpreter: this test process has long imported them all.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from trialdesk.cli import COMMAND_GROUPS, main

# What a command imports only once it runs (pydantic: the protocol and registry models).
HEAVY = ("django", "numpy", "scipy", "pandas", "statsmodels", "lifelines", "matplotlib",
         "pyreadstat", "weasyprint", "tqdm", "pydantic")

# `import trialdesk.cli` and `trialdesk --help` may take at most this many times an empty
# `python -c pass` of the same interpreter (both the fastest of several runs, so that a busy
# machine slows both alike). Measured: about 5; importing pydantic, numpy or Django on top
# makes it 11 or more, scipy or pandas 40 or more.
RATIO_BUDGET = 10.0
RUNS = 7

HELP_PROBE = """
import sys
from trialdesk.cli import main
try:
    main(["--help"], prog_name="trialdesk")
except SystemExit as stop:
    assert stop.code == 0, stop.code
"""

# Bad arguments that the command, not click, refuses: each must be answered before the
# statistics are imported.
REFUSED = [
    ["analyze", "survival", "--time", "t", "--group", "g"],
    ["analyze", "continuous", "--group", "g", "--baseline", "b", "--followup", "f"],
    ["analyze", "proportions", "--events-a", "1"],
    ["design", "sample-size", "proportions", "--p-control", "0.3", "--p-treatment", "0.3"],
    ["design", "sample-size", "proportions", "--p-control", "0.3", "--p-treatment", "0.2",
     "--fisher", "--looks", "2"],
    ["design", "sample-size", "survival", "--hazard-ratio", "1"],
    ["design", "sample-size", "means", "--delta", "0"],
    ["design", "boundaries", "--alpha", "1.5"],
    ["design", "predictive", "--events", "5", "--n", "2", "--n-max", "10", "--p0", "0.3"],
    ["design", "report", "--n-total", "41"],
    ["safety", "boundary", "--prior", "0", "1", "--threshold", "0.2", "--cutoff", "0.9",
     "--max-n", "10"],
    ["safety", "incidence", "--events", "3", "--n", "2"],
    ["safety", "deadlines"],
    ["registry", "search", "--status", "NOT_A_STATUS"],
    ["registry", "search", "--phase", "PHASE9"],
]

WALK_PROBE = """
import json, sys
import click
from click.testing import CliRunner
from trialdesk.cli import main

paths = []
def walk(command, path):
    paths.append(path)
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            walk(command.get_command(context, name), path + [name])
walk(main, [])
runner = CliRunner()
answers = {}
for path in paths:
    for extra in (["--help"], ["--no-such-option"]):
        result = runner.invoke(main, path + extra)
        answers[" ".join(path + extra)] = result.exit_code
for args in json.loads(sys.argv[1]):
    answers[" ".join(args)] = runner.invoke(main, args).exit_code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"answers": answers, "heavy": heavy}))
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False, timeout=300)


def _elapsed(code: str) -> float:
    started = time.perf_counter()
    result = _python(code)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    return elapsed


def test_top_level_help_imports_no_heavy_module_and_no_command_module() -> None:
    probe = HELP_PROBE + "print('LOADED', *sorted(sys.modules))\n"
    result = _python(probe)
    assert result.returncode == 0, result.stderr
    assert "Commands:" in result.stdout and "randomization" in result.stdout
    loaded = result.stdout.strip().splitlines()[-1].split()
    assert loaded[0] == "LOADED" and "trialdesk.cli" in loaded
    unwanted = [name for name in loaded
                if name.split(".")[0] in HEAVY
                or name.startswith(("trialdesk.commands.", "trialdesk.protocol"))]
    assert unwanted == []


def test_every_help_and_argument_error_imports_no_heavy_module() -> None:
    result = _python(WALK_PROBE, json.dumps(REFUSED), json.dumps(HEAVY))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    answers = found["answers"]
    assert answers["--help"] == 0 and answers["analyze survival --help"] == 0
    assert len([key for key in answers if key.endswith("--help")]) >= 40
    for key, code in answers.items():
        if key.endswith("--help"):
            assert code == 0, key
        else:
            assert code == 2, key  # click's usage error, or the command's own refusal
    assert found["heavy"] == []


@pytest.mark.parametrize("args", REFUSED, ids=" ".join)
def test_the_refusals_probed_above_are_refusals(args: list[str]) -> None:
    """The probe above counts for something only if each of these is refused as bad input."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output


def test_help_costs_a_small_multiple_of_an_empty_interpreter() -> None:
    empty, cli = [], []
    for _ in range(RUNS):  # interleaved, so that a burst of load slows both
        empty.append(_elapsed("pass"))
        cli.append(_elapsed(HELP_PROBE))
    ratio = min(cli) / min(empty)
    assert ratio < RATIO_BUDGET, (
        f"`trialdesk --help` took {min(cli):.3f} s, {ratio:.1f} x `python -c pass` "
        f"({min(empty):.3f} s); budget {RATIO_BUDGET} x"
    )


def test_the_group_list_says_what_each_group_says_of_itself() -> None:
    """`trialdesk --help` lists the groups from COMMAND_GROUPS without importing them: the text
    must stay the group's own first line."""
    for name, (module_name, text) in COMMAND_GROUPS.items():
        command = importlib.import_module(f"trialdesk.commands.{module_name}").command
        assert command.get_short_help_str(limit=1000) == text, name


def test_the_group_list_shortens_long_lines_on_a_word() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=60)
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert all(len(line) <= 60 for line in lines), lines
    assert any(line.rstrip().endswith("...") for line in lines)
    for name in COMMAND_GROUPS:
        assert f"  {name} " in result.output


def test_registry_statuses_are_still_checked_and_listed() -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["registry", "search", "--help"])
    assert "RECRUITING" in shown.output and "PHASE2" in shown.output
    refused = runner.invoke(main, ["registry", "search", "--status", "NOT_A_STATUS"])
    assert refused.exit_code == 2
    assert "'NOT_A_STATUS' is not one of" in refused.output and "'RECRUITING'" in refused.output


def test_registry_choices_read_apart_are_the_registry_models_own() -> None:
    """The search's choices are read from enums.py without its package (which loads the models):
    they must be the very values the models check."""
    from trialdesk.commands import registry
    from trialdesk.standards.ctgov import enums

    for name in ("OverallStatus", "Phase"):
        apart = registry._RegistryChoice(name)
        saved = sys.modules.pop("trialdesk.standards.ctgov.enums")
        try:
            assert apart.choices == enums.__dict__[name].__args__
        finally:
            sys.modules["trialdesk.standards.ctgov.enums"] = saved
        assert len(apart.choices) > 3
