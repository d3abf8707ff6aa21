"""Benchmark: time to compute group-sequential boundaries for K = 2..10 looks.

Recursive numerical integration (Jennison and Turnbull ch. 19, r = 18), no Monte Carlo. Each
figure is the median of repeated computations of the full design (boundaries, then the drift
for 80% power, i.e. the inflation factor).

Reproduce: .venv/bin/python bench/boundaries.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from trialdesk.stats.design.boundaries import group_sequential_design

DESIGNS = {
    "OBF-type": {"spending": "obf"},
    "Pocock-type": {"spending": "pocock"},
    "HSD(-4)": {"spending": "hsd", "gamma": -4.0},
    "classical OBF": {"spending": "classical-obf"},
    "OBF + beta-spending futility": {"spending": "obf", "futility": "obf"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    group_sequential_design(3)  # warm-up
    print(f"{'design':<30}" + "".join(f"{'K=' + str(k):>8}" for k in range(2, 11)) + "   (ms)")
    worst = 0.0
    for name, kwargs in DESIGNS.items():
        row = []
        for k in range(2, 11):
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                group_sequential_design(k, alpha=0.025, beta=0.2, **kwargs)
                times.append(time.perf_counter() - start)
            ms = 1000 * statistics.median(times)
            worst = max(worst, ms)
            row.append(ms)
        print(f"{name:<30}" + "".join(f"{ms:>8.1f}" for ms in row))
    print(f"slowest: {worst:.1f} ms (goal: under 50 ms each)")
    print("reproduce: .venv/bin/python bench/boundaries.py")


if __name__ == "__main__":
    main()
