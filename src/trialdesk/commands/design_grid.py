"""`trialdesk design grid GRID.toml`: a design search (effects x sample sizes x boundaries) on a
Dask cluster, results to Parquet (issue 23).

numpy, Dask and pyarrow are imported only once the options have been checked, so that `--help`
and bad options are answered at once (tests/test_cli_import_time.py). The GRID format is
documented in :mod:`trialdesk.stats.design.grid`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://[^\s/]+:\d+$")
NEEDS_EXTRA = "the Dask runner needs the optional extra: pip install 'trialdesk[cluster]'"


def _check(address: str | None, in_process: bool, out_path: str) -> None:
    """Validate before anything heavy is imported."""
    if address is not None and not ADDRESS.match(address):
        raise click.BadParameter(
            "expected a scheduler address tcp://HOST:PORT", param_hint="--cluster"
        )
    if address is not None and in_process:
        raise click.BadParameter(
            "give --cluster or --in-process, not both", param_hint="--cluster"
        )
    if not out_path.endswith(".parquet"):
        raise click.BadParameter("the results file must end in .parquet", param_hint="--out")


def _summary(grid: Any, records: list[dict[str, Any]], seconds: float, out: str, how: str) -> str:
    lines = [
        f"{grid.name}: {len(grid.cells)} scenarios x {grid.sims:,} simulated trials "
        f"in {seconds:.2f} s ({how}); seed {grid.seed}, chunk {grid.chunk:,}",
        f"results: {out}",
    ]
    best = [r for r in records if r["effect"] == records[-1]["effect"]]
    if best:
        lines.append(f"P(reject) for effect {records[-1]['effect']!r}:")
        for r in best:
            lines.append(f"  n {r['n_total']:>6}  {r['boundary']:<24} "
                         f"{r['rejection_probability']:.4f}  E[N] {r['expected_n_analysed']:.1f}")
    return "\n".join(lines)


@click.command(name="grid")
@click.argument("grid_path", metavar="GRID.toml", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True,
              help="Results file (Parquet), one row per scenario.")
@click.option("--cluster", "address", default=None,
              help="Dask scheduler tcp://HOST:PORT (default: a local cluster).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes of the local cluster.")
@click.option("--in-process", is_flag=True, help="Run in this process, without Dask.")
@click.option("--sims", type=click.IntRange(1), default=None, help="Overrides the GRID's sims.")
@click.option("--seed", type=click.IntRange(0), default=None, help="Overrides the GRID's seed.")
@click.option("--chunks-per-task", type=click.IntRange(1), default=1, show_default=True,
              help="Chunks sent to a worker at a time (does not change the results).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def grid(
    grid_path: str,
    out_path: str,
    address: str | None,
    workers: int,
    in_process: bool,
    sims: int | None,
    seed: int | None,
    chunks_per_task: int,
    as_json: bool,
    progress: bool,
) -> None:
    """Simulate every scenario of the grid in GRID.toml (effects x sample sizes x boundaries) on
    Dask; the same seed gives bit-identical results whatever the number of workers."""
    import time

    _check(address, in_process, out_path)
    from trialdesk.stats.design import grid as grids

    try:
        spec = grids.load_grid(grid_path, seed=seed, sims=sims)
    except grids.GridError as error:
        raise click.BadParameter(str(error), param_hint="GRID.toml") from error
    try:
        import pyarrow  # noqa: F401 - fail before the simulation, not after it
    except ImportError as error:
        raise click.ClickException(NEEDS_EXTRA) from error
    start = time.perf_counter()
    if in_process:
        from tqdm import tqdm

        work = sum(1 for _ in grids.tasks(spec, chunks_per_task))
        with tqdm(total=work, desc="grid", unit="task", disable=not progress, leave=False) as bar:
            results = grids.run_local(spec, chunks_per_task, on_done=bar.update)
        how = "in process"
    else:
        try:
            import distributed  # noqa: F401
        except ImportError as error:
            raise click.ClickException(NEEDS_EXTRA) from error
        from trialdesk.stats.design.grid_dask import dask_client, run_on_dask

        with dask_client(address, workers) as client:
            results = run_on_dask(spec, client, chunks_per_task=chunks_per_task,
                                  progress=progress)
        how = f"Dask at {address}" if address else f"local Dask cluster, {workers} worker(s)"
    seconds = time.perf_counter() - start
    records = grids.rows(spec, results)
    grids.write_parquet(records, out_path, spec)
    if as_json:
        click.echo(json.dumps({"name": spec.name, "scenarios": len(spec.cells), "sims": spec.sims,
                               "seed": spec.seed, "chunk": spec.chunk, "seconds": seconds,
                               "runner": how, "out": out_path}))
    else:
        click.echo(_summary(spec, records, seconds, out_path, how))
