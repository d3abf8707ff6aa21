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

Measured 2026-12-04 on the shared 2-core machine, seed 1 (CPU: user + sys of the process; the
wall clock also counts the others' work, load average in brackets):

    size     CPU      wall            peak RSS
    40       19.8 s   24.9 s  (3.5)   366 MB
    1,000   150.5 s  226.9 s  (3)     435 MB   enrollment 128.5 s, lock 9.4 s CPU
    2,000   218.7 s  226.6 s  (2)     486 MB   enrollment 184.3 s, lock 17.2 s CPU
    10,000 1124.6 s 1198.0 s  (1.4)  1189 MB   enrollment 960.4 s, follow-up 54.0 s, lock
            90.4 s, outputs 13.2 s CPU (simulate_trial with this bench's progress hook)

At 1,000, run side by side under the same load with the code before this measurement's changes
(abca7c4): 163.9 s CPU before, 157.9 s after the batched audit appends of a signing session and
a monitoring visit (``append_audits``) and the monitoring's bulk reads. Where the CPU goes (py-spy
at 1,000, enrollment): form saves ~27% (do_save_form and the simulator's slot and values), the
monitoring visits ~17%, commits ~9%, the weekly signing sessions ~9%; plus the signers' password
checks, ~0.18 s CPU each (Django's Argon2 defaults, the production hasher), one per session:
~50 s over a 540-day enrollment whatever the size.
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
