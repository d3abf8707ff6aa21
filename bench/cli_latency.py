"""How fast the command line answers `--help` and a bad argument (issue 19: under 0.5 s idle).

Each line runs a fresh interpreter (as a user's shell does) several times and prints the fastest
and the median wall time, and the fastest as a multiple of an empty `python -c pass`; the
multiple is what tests/test_cli_import_time.py holds to a budget, since it changes little when
the machine is busy.

    .venv/bin/python bench/cli_latency.py [--runs 7]

To see what an invocation imports and what each import costs:

    .venv/bin/python -X importtime -c "from trialdesk.cli import main; main(['analyze', '--help'])"
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES: list[list[str]] = [
    ["--help"],
    ["protocol", "--help"],
    ["protocol", "show", "--help"],
    ["randomization", "generate", "--help"],
    ["design", "sample-size", "proportions", "--help"],
    ["analyze", "survival", "--help"],
    ["safety", "boundary", "--help"],
    ["registry", "search", "--help"],
    ["serve", "--help"],
    ["demo", "--help"],
    ["no-such-command"],
    ["analyze", "survival", "--no-such-option"],
    ["analyze", "survival", "--time", "t", "--group", "g"],
    ["design", "sample-size", "proportions", "--p-control", "0.3", "--p-treatment", "0.3"],
    ["safety", "incidence", "--events", "3", "--n", "2"],
]

PROBE = """
import sys
from trialdesk.cli import main
try:
    main(sys.argv[1:], prog_name="trialdesk")
except SystemExit:
    pass
"""


def _times(args: list[str], runs: int, code: str = PROBE) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Runs of each case (default 7).")
    runs = parser.parse_args().runs
    empty = min(_times([], runs, "pass"))
    print(f"{'fastest':>8} {'median':>8} {'x empty':>8}  command")
    print(f"{empty:8.3f} {'':>8} {1:8.1f}  python -c pass")
    for args in CASES:
        times = _times(args, runs)
        print(f"{min(times):8.3f} {statistics.median(times):8.3f} {min(times) / empty:8.1f}  "
              f"trialdesk {' '.join(args)}")


if __name__ == "__main__":
    main()
