"""``trialdesk safety ...`` through click's test runner (and once in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from trialdesk.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["safety", *args])
    return result.exit_code, result.output


def run_json(*args: str) -> dict:
    code, out = run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


# -- boundary -----------------------------------------------------------------------------------


def test_boundary_json_maps_n_to_the_smallest_tripping_count():
    # Beta(1, 1), 0.30, 0.90: derived exactly in tests/safety/test_safety_boundary.py
    out = run_json(
        "boundary", "--prior", "1", "1", "--threshold", "0.3", "--cutoff", "0.9", "--max-n", "10"
    )
    assert out["boundary"] == {
        "1": 1,
        "2": 2,
        "3": 2,
        "4": 3,
        "5": 3,
        "6": 4,
        "7": 4,
        "8": 4,
        "9": 5,
        "10": 5,
    }
    assert out["rule"]["prior"] == {"a": 1.0, "b": 1.0}
    assert out["rows"][0] == {"n": 1, "min_events": 1, "probability": pytest.approx(0.91)}


def test_boundary_json_null_where_no_count_trips():
    # an optimistic Beta(1, 30) prior: 1 of 1 (or 2 of 2) is not enough
    out = run_json(
        "boundary", "--prior", "1", "30", "--threshold", "0.3", "--cutoff", "0.9", "--max-n", "4"
    )
    assert out["boundary"]["1"] is None
    assert "null" in json.dumps(out["boundary"])
    assert out["rows"][0]["probability"] is None


def test_boundary_text_table():
    code, out = run(
        "boundary", "--prior", "1", "1", "--threshold", "0.3", "--cutoff", "0.9", "--max-n", "3"
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "Stop if P(rate > 0.3 | data) > 0.9 under a Beta(1, 1) prior"
    assert lines[2].split() == ["1", "1", "0.9100"]
    assert lines[4].split() == ["3", "2", "0.9163"]


@pytest.mark.parametrize(
    ("args", "option", "rule"),
    [
        (["--prior", "0", "1", "--threshold", "0.3", "--cutoff", "0.9"], "--prior", "> 0"),
        (["--prior", "1", "inf", "--threshold", "0.3", "--cutoff", "0.9"], "--prior", "finite"),
        (["--prior", "1", "1", "--threshold", "1.2", "--cutoff", "0.9"], "--threshold", "between"),
        (["--prior", "1", "1", "--threshold", "0.3", "--cutoff", "0"], "--cutoff", "between"),
        (["--prior", "1", "1", "--threshold", "0.3", "--cutoff", "nan"], "--cutoff", "between"),
        (["--prior", "1", "--threshold", "0.3", "--cutoff", "0.9"], "--prior", ""),
    ],
)
def test_boundary_refuses_bad_input(args, option, rule):
    code, out = run("boundary", *args, "--max-n", "5")
    assert code == 2, out
    assert option in out and rule in out


def test_boundary_max_n_range():
    code, out = run(
        "boundary", "--prior", "1", "1", "--threshold", "0.3", "--cutoff", "0.9", "--max-n", "0"
    )
    assert code == 2 and "--max-n" in out


# -- incidence ----------------------------------------------------------------------------------


def test_incidence_json_published_interval():
    # Newcombe 1998, Stat Med 17:857-872, Table I, method 5 (exact): 1/29 -> 0.0009 to 0.1776
    out = run_json("incidence", "--events", "1", "--n", "29")
    assert (out["events"], out["n"], out["level"]) == (1, 29, 0.95)
    assert round(out["lower"], 4) == 0.0009 and round(out["upper"], 4) == 0.1776
    assert "Clopper-Pearson" in out["method"]


def test_incidence_text_and_level():
    code, out = run("incidence", "--events", "0", "--n", "20", "--level", "0.9")
    assert code == 0, out
    # 0/20 at 90%: upper = 1 - 0.05^(1/20) = 0.1391
    assert out.startswith("0/20 = 0.0000; 90% exact Clopper-Pearson")
    assert out.rstrip().endswith("0.0000 to 0.1391")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--events", "5", "--n", "4"], "--events"),
        (["--events", "-1", "--n", "4"], "--events"),
        (["--events", "1", "--n", "0"], "--n"),
        (["--events", "1", "--n", "4", "--level", "95"], "--level"),
    ],
)
def test_incidence_refuses_bad_input(args, option):
    code, out = run("incidence", *args)
    assert code == 2, out
    assert option in out


# -- deadlines ----------------------------------------------------------------------------------


def test_deadlines_fatal_across_a_month_end_in_bogota():
    out = run_json(
        "deadlines", "--day0", "2026-01-28", "--fatal-or-life-threatening", "--tz", "America/Bogota"
    )
    assert out["tz"] == "America/Bogota" and out["fatal_or_life_threatening"] is True
    assert [(d["kind"], d["due_date"]) for d in out["deadlines"]] == [
        ("susar_7_day", "2026-02-04"),
        ("susar_follow_up_8_day", "2026-02-12"),
    ]
    # the end of 4 February in Bogota is 04:59:59.999999 UTC on the 5th
    assert out["deadlines"][0]["due_utc"] == "2026-02-05T04:59:59.999999+00:00"
    assert out["deadlines"][0]["due_local"] == "2026-02-04T23:59:59.999999-05:00"


def test_deadlines_other_susar_and_sae():
    out = run_json("deadlines", "--day0", "2028-02-14", "--aware-at", "2026-03-01T03:30Z")
    kinds = {d["kind"]: d for d in out["deadlines"]}
    assert set(kinds) == {"sae_to_sponsor", "susar_15_day"}
    assert kinds["susar_15_day"]["due_date"] == "2028-02-29"  # 14 Feb + 15 in a leap year
    assert kinds["sae_to_sponsor"]["due_utc"] == "2026-03-02T03:30:00+00:00"
    assert out["aware_at"] == "2026-03-01T03:30:00+00:00"


def test_deadlines_sae_only_shown_in_local_time():
    code, out = run("deadlines", "--aware-at", "2026-03-01T03:30Z", "--tz", "America/Bogota")
    assert code == 0, out
    # 03:30 UTC on 2 March is 22:30 on 1 March in Bogota
    assert out.startswith("SAE to the sponsor")  # the report in words, not its code (issue 19)
    assert "due 2026-03-01 22:30 America/Bogota (2026-03-02 03:30 UTC)" in out
    assert "susar" not in out.lower()


@pytest.mark.parametrize(
    ("args", "option", "rule"),
    [
        (["--day0", "2026-02-30"], "--day0", "YYYY-MM-DD"),
        (["--day0", "28/01/2026"], "--day0", "YYYY-MM-DD"),
        (["--aware-at", "2026-03-01T03:30"], "--aware-at", "time zone"),
        (["--aware-at", "yesterday"], "--aware-at", "ISO 8601"),
        (["--day0", "2026-01-28", "--tz", "Mars/Olympus"], "--tz", "unknown time zone"),
        ([], "--day0", "--aware-at"),
    ],
)
def test_deadlines_refuse_bad_input(args, option, rule):
    code, out = run("deadlines", *args)
    assert code == 2, out
    assert option in out and rule in out


# -- the group ----------------------------------------------------------------------------------


def test_group_registered_and_help_needs_no_django():
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from trialdesk.cli import main\n"
        "for args in (['--help'], ['safety', '--help'], ['safety', 'boundary', '--help'],\n"
        "             ['safety', 'deadlines', '--day0', '2026-01-28', '--json'],\n"
        "             ['safety', 'incidence', '--events', '1', '--n', '2']):\n"
        "    result = CliRunner().invoke(main, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "    if args == ['--help']:\n"
        "        assert 'safety' in result.output\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(' '.join(bad[:5]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
