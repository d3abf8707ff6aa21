"""Benchmark: simulated operating characteristics of a 3-look two-arm binary design.

The design: 83 per arm, looks after 1/3, 2/3 and all of the participants, O'Brien-Fleming-type
alpha spending (one-sided 0.025), 28-day mortality 40% on control and 20% on treatment, Poisson
accrual of 10 a month (durations and overrun included). Prints trials per second of the
vectorized simulation (one process, and two worker processes), of a straightforward per-trial
Python loop on a subsample in the same run, their ratio, and the time of the exact computation.

Reproduce: .venv/bin/python bench/design_simulation.py [--sims 1000000] [--loop-sims 5000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from trialdesk.stats.design.exact_binary import binary_exact_oc
from trialdesk.stats.design.simulate import simulate, simulate_trial_loop
from trialdesk.stats.design.spec import parse_spec

SPEC = {
    "name": "3 looks, OBF-type spending, 83 per arm",
    "design": {
        "endpoint": "binary",
        "n_per_arm": 83,
        "randomization": "fixed",
        "accrual_per_month": 10.0,
        "followup_days": 28,
        "information_rates": [1 / 3, 2 / 3, 1.0],
        "boundaries": {"spending": "obf", "alpha": 0.025, "sided": 1, "beta": 0.2},
    },
    "scenarios": [{"name": "40% vs 20%", "p_control": 0.4, "p_treatment": 0.2}],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=1_000_000)
    parser.add_argument("--loop-sims", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args()

    spec = parse_spec(SPEC)
    scenario = spec.scenarios[0]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}"
    )
    print(
        f"design: {spec.name}; looks at {spec.participants.tolist()} participants; "
        f"upper z {np.round(spec.bounds.upper, 4).tolist()}"
    )

    simulate(spec, 10_000, seed=1, progress=False)  # warm-up (imports, caches)
    start = time.perf_counter()
    result = simulate(spec, args.sims, seed=args.seed, progress=False)[0]
    vec_s = time.perf_counter() - start
    vec_rate = args.sims / vec_s

    start = time.perf_counter()
    result2 = simulate(spec, args.sims, seed=args.seed, workers=2, progress=False)[0]
    par_s = time.perf_counter() - start
    assert (result2.tally.upper == result.tally.upper).all()  # same seed, same answer

    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    loop = [simulate_trial_loop(spec, scenario, rng) for _ in range(args.loop_sims)]
    loop_s = time.perf_counter() - start
    loop_rate = args.loop_sims / loop_s
    loop_power = np.mean([kind == "upper" for _, kind in loop])

    n_t = spec.fixed_treatment_counts()
    n_c = spec.participants - n_t
    times = []
    for _ in range(50):
        start = time.perf_counter()
        exact = binary_exact_oc(n_c, n_t, 0.4, 0.2, spec.bounds.upper)
        times.append(time.perf_counter() - start)
    exact_ms = 1000 * statistics.median(times)

    print(
        f"vectorized, 1 process : {args.sims:>9,} trials in {vec_s:6.3f} s = "
        f"{vec_rate:>12,.0f} trials/s  (power {result.rejection_probability:.4f} "
        f"+- {result.standard_error:.4f})"
    )
    print(
        f"vectorized, 2 workers : {args.sims:>9,} trials in {par_s:6.3f} s = "
        f"{args.sims / par_s:>12,.0f} trials/s"
    )
    print(
        f"per-trial Python loop : {args.loop_sims:>9,} trials in {loop_s:6.3f} s = "
        f"{loop_rate:>12,.0f} trials/s  (power {loop_power:.4f})"
    )
    print(f"speed-up of the vectorized simulation over the loop: {vec_rate / loop_rate:,.0f}x")
    print(
        f"exact operating characteristics: {exact_ms:.2f} ms (median of 50), "
        f"power {exact.rejection_probability:.5f}"
    )
    print("reproduce: .venv/bin/python bench/design_simulation.py")


if __name__ == "__main__":
    main()
