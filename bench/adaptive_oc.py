"""Operating characteristics of a two-stage inverse-normal design with sample-size re-estimation:
numerical integration against seeded simulation, in CPU time and agreement.

Mehta and Pocock's scale (difference 2, SD 7.5, 221 + 221 patients, stage 2 capped at 663),
three rules (re-estimation to CP 0.8 under the observed effect, the promising zone [0.36, 0.8),
none) and three effects (0, 1.4, 2). Prints, per case, power and expected sample size from both
methods, the simulation's SE, and CPU seconds (``time.process_time``, best of ``--repeat``).

    .venv/bin/python bench/adaptive_oc.py [--sims 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from trialdesk.stats.design.combination import inverse_normal_design
from trialdesk.stats.design.conditional_power import theta_means
from trialdesk.stats.design.ssr import SampleSizeRule, oc_integration, oc_simulation


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    design = inverse_normal_design(2, kind="obf", information_rates=[0.5, 1.0])
    rules = {
        "ssr cp 0.8": SampleSizeRule((221, 221), n_min=50, n_max=663),
        "promising": SampleSizeRule((221, 221), n_max=663, promising=(0.36, 0.8)),
        "fixed": SampleSizeRule((221, 221)),
    }
    print(f"{'rule':<12} {'delta':>5} {'power int':>10} {'power sim':>10} {'SE':>8} "
          f"{'E[N] int':>9} {'E[N] sim':>9} {'cpu int s':>10} {'cpu sim s':>10}")
    for name, rule in rules.items():
        for delta in (0.0, 1.4, 2.0):
            theta = theta_means(delta, 7.5)
            t_int, exact = _best(
                lambda r=rule, th=theta: oc_integration(design, r, th), args.repeat
            )
            t_sim, sim = _best(
                lambda r=rule, th=theta: oc_simulation(design, r, th, sims=args.sims),
                args.repeat,
            )
            se = (sim.power * (1 - sim.power) / args.sims) ** 0.5
            print(f"{name:<12} {delta:>5.1f} {exact.power:>10.5f} {sim.power:>10.5f} {se:>8.5f} "
                  f"{exact.expected_n:>9.2f} {sim.expected_n:>9.2f} {t_int:>10.4f} {t_sim:>10.4f}")


if __name__ == "__main__":
    main()
