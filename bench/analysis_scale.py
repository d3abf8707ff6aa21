"""Time each analysis of trialdesk.stats.analysis at 10,000 and 100,000 participants.

Synthetic two-group trial data (fixed seed): 28-day mortality, time to death with censoring,
ventilator-free days, PaO2/FiO2 at day 0 and 7, IL-6 at days 0, 3, 7, 14 with values below a
limit of detection. Prints one row per analysis and size, and the whole set per size, in CPU
seconds of this process (all its threads: ``time.process_time``), the best of ``--repeat`` runs,
and the wall-clock seconds of that run beside it (wall time depends on what else the machine
runs; CPU time much less). Goal (issue 23): the whole set at 100,000 participants under 5 s CPU.

    .venv/bin/python bench/analysis_scale.py [--sizes 10000,100000] [--repeat 3] [--statsmodels]

The two-proportion analysis is timed twice: as the analysis plan runs it (automatic test: chi-
squared at these sizes) and with Fisher's exact test; both compute the conditional maximum-
likelihood odds ratio with its exact interval, which was the slow part (issue 23).
``--statsmodels`` also times the repeated-measures model with statsmodels' MixedLM fitter.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from trialdesk.stats.analysis import (
    ArmFlow,
    ConsortCounts,
    change_from_baseline,
    repeated_measures,
    survival_analysis,
    two_proportions_from_frame,
    ventilator_free_days_analysis,
)


def synthetic_trial(n: int, seed: int = 20240401) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per participant, and one row per participant and cytokine visit."""
    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(n) < 0.5, "group 1", "group 2")
    treated = arm == "group 1"
    hazard = np.where(treated, 0.010, 0.015)
    death_day = rng.exponential(1 / hazard)
    censor_day = np.where(rng.random(n) < 0.15, rng.uniform(5, 28, n), 28.0)
    time = np.minimum(np.minimum(death_day, censor_day), 28.0).round(1)
    died = (death_day <= np.minimum(censor_day, 28.0)).astype(int)
    ventilated = rng.integers(0, 28, n)
    vfd = np.where(died == 1, 0, np.clip(28 - ventilated, 0, 28))
    pf0 = rng.normal(150, 40, n).clip(50, 300)
    pf7 = pf0 + rng.normal(np.where(treated, 40, 25), 50, n)
    pf7[rng.random(n) < 0.05] = np.nan  # some day-7 values missing
    participants = pd.DataFrame(
        {"id": np.arange(n), "arm": arm, "time": time, "died": died, "vfd": vfd,
         "pf0": pf0, "pf7": pf7}
    )
    days = np.array([0, 3, 7, 14])
    ids = np.repeat(np.arange(n), len(days))
    day = np.tile(days, n)
    u = np.repeat(rng.normal(0, 0.6, n), len(days))
    slope = np.repeat(np.where(treated, -0.08, -0.04), len(days))
    log_il6 = 3.0 + u + slope * day + rng.normal(0, 0.4, len(ids))
    il6 = np.exp(log_il6).round(2)
    cytokines = pd.DataFrame({"id": ids, "arm": np.repeat(arm, len(days)), "day": day,
                              "il6": il6})
    cytokines = cytokines.sample(frac=0.93, random_state=1)  # missed visits
    return participants, cytokines


def analyses(participants: pd.DataFrame, cytokines: pd.DataFrame, with_statsmodels: bool
             ) -> dict[str, Callable[[], object]]:
    n = len(participants)
    n1 = int((participants["arm"] == "group 1").sum())
    runs: dict[str, Callable[[], object]] = {
        "proportions (auto test)": lambda: two_proportions_from_frame(
            participants, group="arm", event="died"),
        "proportions (Fisher's exact test)": lambda: two_proportions_from_frame(
            participants, group="arm", event="died", test="fisher"),
        "survival (KM, log-rank, Cox)": lambda: survival_analysis(
            participants, time="time", event="died", group="arm", at=[7, 14, 28]),
        "ventilator-free days (MW, HL)": lambda: ventilator_free_days_analysis(
            participants, vfd="vfd", group="arm"),
        "change from baseline (ANCOVA)": lambda: change_from_baseline(
            participants, group="arm", baseline="pf0", followup="pf7"),
        "repeated measures (profile REML)": lambda: repeated_measures(
            cytokines, participant="id", group="arm", day="day", value="il6", lod=5.0),
        "CONSORT counts checked + SVG": lambda: ConsortCounts(
            assessed=n + 10, excluded={"ineligible": 10}, randomized=n,
            arms=[ArmFlow("group 1", n1, n1, analysed=n1),
                  ArmFlow("group 2", n - n1, n - n1, analysed=n - n1)]).to_svg(),
    }
    if with_statsmodels:
        runs["repeated measures (statsmodels)"] = lambda: repeated_measures(
            cytokines, participant="id", group="arm", day="day", value="il6", lod=5.0,
            engine="statsmodels")
    return runs


def _best_of(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return (CPU seconds, wall seconds) of the run with the least CPU time."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--statsmodels", action="store_true",
                        help="also time statsmodels MixedLM (slow: ~7 s at 10,000)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'analysis':36} {'participants':>12} {'CPU s':>8} {'wall s':>8}")
    totals = {}
    for n in sizes:
        participants, cytokines = synthetic_trial(n)
        total = 0.0
        for name, run in analyses(participants, cytokines, args.statsmodels).items():
            # Not in the whole set: the statsmodels comparison, and the second proportions row
            # (the analysis plan runs the two-proportion analysis once).
            in_set = "statsmodels" not in name and "Fisher" not in name
            cpu, wall = _best_of(run, args.repeat if "statsmodels" not in name else 1)
            if in_set:
                total += cpu
            print(f"{name:36} {n:>12,} {cpu:>8.3f} {wall:>8.3f}")
        totals[n] = total
        print(f"{'whole set (CPU)':36} {n:>12,} {total:>8.3f}")
        print()
    largest = max(sizes)
    verdict = "under" if totals[largest] < 5 else "OVER"
    print(f"whole set at {largest:,} participants: {totals[largest]:.2f} s CPU ({verdict} 5 s)")
    print(f"reproduce: .venv/bin/python bench/analysis_scale.py --sizes {args.sizes} "
          f"--repeat {args.repeat}")


if __name__ == "__main__":
    main()
