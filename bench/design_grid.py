"""Benchmark: a 100-scenario design search on Dask, 1 and 2 workers, against one process.

The grid is the shipped example ``trialdesk/stats/design/examples/grid_mortality.toml``: 4 effects
(28-day mortality 40% vs 40/30/25/20%) x 5 sample sizes (120..280) x 5 boundaries (two looks),
``--sims`` trials per scenario in chunks of ``--chunk``. Prints the wall time of the
single-process run (:func:`grid.run_local`) and of the same grid on a local Dask cluster of 1 and
of 2 single-threaded worker processes (cluster start-up timed apart), the speed-up, and checks
that every run gives bit-identical results (the seed tree does not depend on who runs it).

Reproduce: .venv/bin/python bench/design_grid.py [--sims 20000] [--chunk 10000]
           [--chunks-per-task 1] [--repeats 2]
(or from the command line: trialdesk design grid GRID.toml --out r.parquet --workers 2)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time

import numpy as np

from trialdesk.stats.design.grid import Grid, load_grid, rows, run_local, tasks
from trialdesk.stats.design.grid_dask import dask_client, run_on_dask
from trialdesk.stats.design.spec import EXAMPLES


def _best(run, repeats: int, client=None) -> tuple[float, float, list, list[float]]:
    """Fastest wall time of ``repeats`` runs (a shared machine slows some runs), the CPU time of
    that run (this process, with the local scheduler, plus every worker process) and the result.
    The CPU time does not depend on what else runs on the machine."""
    best, cpu, result, per_worker = float("inf"), float("inf"), None, []
    for _ in range(repeats):
        before = client.run(time.process_time) if client else {}
        cpu_start, start = time.process_time(), time.perf_counter()
        result = run()
        wall = time.perf_counter() - start
        used = time.process_time() - cpu_start
        after = client.run(time.process_time) if client else {}
        workers = [after[w] - before[w] for w in sorted(before)]
        if wall < best:
            best, cpu, per_worker = wall, used + sum(workers), workers
    return best, cpu, result, per_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--chunks-per-task", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    grid: Grid = load_grid(EXAMPLES / "grid_mortality.toml", sims=args.sims)
    grid = dataclasses.replace(grid, chunk=args.chunk)
    n_tasks = sum(1 for _ in tasks(grid, args.chunks_per_task))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}; load average {os.getloadavg()[0]:.1f}")
    print(f"grid: {grid.name}; {len(grid.cells)} scenarios x {grid.sims:,} trials "
          f"= {len(grid.cells) * grid.sims:,} trials, {n_tasks} tasks, seed {grid.seed}")

    run_local(dataclasses.replace(grid, sims=200))  # warm-up: imports, caches
    single, single_cpu, reference, _ = _best(lambda: run_local(grid, args.chunks_per_task),
                                          args.repeats)
    expected = rows(grid, reference)
    print(f"single process:  wall {single:7.2f} s, CPU {single_cpu:7.2f} s  "
          f"({len(grid.cells) * grid.sims / single:,.0f} trials/s)")

    timings = {}
    for workers in (1, 2):
        start = time.perf_counter()
        with dask_client(workers=workers) as client:
            started = time.perf_counter() - start
            run_on_dask(dataclasses.replace(grid, sims=200), client, progress=False)  # warm-up
            seconds, cpu, results, per_worker = _best(
                lambda c=client: run_on_dask(grid, c, chunks_per_task=args.chunks_per_task,
                                             progress=False),
                args.repeats,
                client,
            )
        same = rows(grid, results) == expected
        timings[workers] = seconds
        print(f"Dask, {workers} worker{'s' if workers > 1 else ' '}: wall {seconds:7.2f} s, "
              f"CPU {cpu:7.2f} s (all processes; cluster start {started:.1f} s; "
              f"bit-identical to one process: {same})")
        print(f"    CPU in each worker: {', '.join(f'{w:.2f} s' for w in per_worker)}")
        if not same:
            raise SystemExit("results differ from the single-process run")
    print(f"scaling 1 -> 2 workers: {timings[1] / timings[2]:.2f}x; "
          f"Dask 1 worker vs one process: {timings[1] / single:.2f}x the time")


if __name__ == "__main__":
    main()
