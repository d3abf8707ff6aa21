"""`trialdesk design grid` through click's test runner (issue 23)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from trialdesk.cli import main
from trialdesk.stats.design.grid import load_grid, read_parquet, rows, run_local

GRID_TOML = """
name = "cli grid"
seed = 4242
sims = 400
chunk = 150

[design]
endpoint = "normal"
randomization = "block"
block_size = 4
information_rates = [0.5, 1.0]

[grid]
n_per_arm = [20, 30]

[[boundaries]]
name = "OBF"
spending = "obf"

[[boundaries]]
name = "Pocock"
spending = "pocock"

[[effects]]
name = "null"
mean_control = 0.0
mean_treatment = 0.0

[[effects]]
name = "half sd"
mean_control = 0.0
mean_treatment = 0.5
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["design", "grid", *args])
    return result.exit_code, result.output


@pytest.fixture
def grid_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID_TOML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scheduler_address():
    """A 2-process local cluster for --cluster, closed after the module even on failure."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
    ) as cluster:
        yield cluster.scheduler_address


def test_in_process_run_writes_one_parquet_row_per_scenario(grid_file, tmp_path):
    out = tmp_path / "in_process.parquet"
    code, text = run(str(grid_file), "--out", str(out), "--in-process", "--no-progress")
    assert code == 0, text
    assert "8 scenarios x 400 simulated trials" in text
    grid = load_grid(grid_file)
    assert read_parquet(out) == rows(grid, run_local(grid))


def test_cluster_run_equals_the_in_process_run_bit_for_bit(grid_file, tmp_path,
                                                          scheduler_address):
    local, dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    code, _ = run(str(grid_file), "--out", str(local), "--in-process", "--no-progress")
    assert code == 0
    code, text = run(str(grid_file), "--out", str(dask), "--cluster", scheduler_address,
                     "--chunks-per-task", "2", "--no-progress", "--json")
    assert code == 0, text
    summary = json.loads(text)
    assert summary["scenarios"] == 8 and summary["runner"].startswith("Dask at tcp://")
    assert read_parquet(dask) == read_parquet(local)


def test_seed_and_sims_override_the_file(grid_file, tmp_path):
    out = tmp_path / "o.parquet"
    code, text = run(str(grid_file), "--out", str(out), "--in-process", "--no-progress",
                     "--sims", "50", "--seed", "7", "--json")
    assert code == 0, text
    assert {r["sims"] for r in read_parquet(out)} == {50}
    assert json.loads(text)["seed"] == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "localhost:8786"], "tcp://HOST:PORT"),
        (["--cluster", "tcp://127.0.0.1:8786", "--in-process"], "not both"),
    ],
)
def test_bad_options_are_refused(grid_file, tmp_path, args, message):
    code, text = run(str(grid_file), "--out", str(tmp_path / "x.parquet"), *args)
    assert code == 2
    assert message in text
    assert not (tmp_path / "x.parquet").exists()


def test_the_results_file_must_be_parquet(grid_file, tmp_path):
    code, text = run(str(grid_file), "--out", str(tmp_path / "x.csv"), "--in-process")
    assert code == 2 and "--out" in text and ".parquet" in text


def test_a_bad_grid_file_is_refused_naming_the_key(grid_file, tmp_path):
    grid_file.write_text(GRID_TOML.replace("n_per_arm = [20, 30]", "n_per_arm = [20, 0]"),
                         encoding="utf-8")
    code, text = run(str(grid_file), "--out", str(tmp_path / "x.parquet"), "--in-process")
    assert code == 2
    assert "grid.n_per_arm" in text
    assert not (tmp_path / "x.parquet").exists()


def test_help_and_bad_options_import_no_numpy_or_dask():
    probe = (
        "import sys\n"
        "from trialdesk.cli import main\n"
        "try:\n"
        "    main(['design', 'grid', '--help'], prog_name='trialdesk')\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0\n"
        "heavy = [m for m in ('numpy', 'distributed', 'dask', 'pyarrow') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert "Usage: trialdesk design grid" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_the_default_local_cluster_runs_and_leaves_no_process_behind(grid_file, tmp_path):
    import psutil

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    local, dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    assert run(str(grid_file), "--out", str(local), "--in-process", "--no-progress")[0] == 0
    code, text = run(str(grid_file), "--out", str(dask), "--workers", "1", "--no-progress")
    assert code == 0, text
    assert "local Dask cluster, 1 worker(s)" in text
    assert read_parquet(dask) == read_parquet(local)
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []
