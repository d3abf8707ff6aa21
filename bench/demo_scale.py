"""Time and peak memory of each stage of `trialdesk demo` (the simulated trial) at given sizes.

Each size runs in a fresh data directory (SQLite, as the demo) through ``simulate_trial``, the
same code path as ``trialdesk demo``; prints wall-clock and CPU seconds per stage (CPU: on a
shared machine the wall clock also counts other work) and the process's peak resident memory at
the end of each stage. Goals (issue 13): 40 participants end to end in < 60 s
on 2 cores; 10,000 in < 30 min and < 2 GB.

    python bench/demo_scale.py [--sizes 40,1000] [--stop-at final] [--seed 1] [--profile DIR]

``--profile DIR``: each size's run under cProfile, timed in CPU seconds (the machine is shared),
written to ``DIR/demo-<size>.prof`` (read it with ``python -m pstats``).

One process per size: each size needs its own Django set-up (the data directory is read once).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(size: int, stop_at: str, seed: int, folder: str, profile: str | None) -> None:
    from trialdesk.web.bootstrap import migrate, setup_django

    setup_django(data_dir=folder)
    migrate()
    from trialdesk.web.simulation import simulate_trial

    peaks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if done >= total:
            peaks[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = simulate_trial(data_dir=Path(folder), participants=size,
                            seed=seed, stop_at=stop_at, progress=progress)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(Path(profile) / f"demo-{size}.prof"))
    total = time.perf_counter() - started
    for stage, seconds in result.seconds.items():
        print(f"{size:>7} {stage:<11} {seconds:9.1f} s {result.cpu_seconds[stage]:9.1f} s "
              f"{peaks.get(stage, float('nan')):9.0f} MB", flush=True)
    print(f"{size:>7} {'total':<11} {total:9.1f} s {sum(result.cpu_seconds.values()):9.1f} s; "
          f"screened {result.counts['screened']}, randomized {result.counts['randomized']}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40,1000")
    parser.add_argument("--stop-at", default="final", choices=["enrollment", "lock", "final"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", help="a folder for each size's CPU profile")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one, args.stop_at, args.seed, args.folder, args.profile)
        return
    print(f"{'size':>7} {'stage':<11} {'wall':>11} {'CPU':>11} {'peak RSS':>12}", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            profile = ["--profile", str(Path(args.profile).resolve())] if args.profile else []
            subprocess.run([sys.executable, __file__, "--one", str(size), "--stop-at",
                            args.stop_at, "--seed", str(args.seed), "--folder", folder,
                            *profile], check=True)


if __name__ == "__main__":
    main()
