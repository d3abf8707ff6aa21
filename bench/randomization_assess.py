"""Simulated sequences per second: vectorized Monte Carlo vs a per-participant Python loop.

Run:  .venv/bin/python bench/randomization_assess.py [--n 100] [--sims 100000]

For permuted blocks (sizes 2 and 4, 1:1) and Pocock-Simon minimization (p = 0.8, range, factors
with 3 and 2 equally likely levels), both at n = 100, it times

- trialdesk's assessment (`monte_carlo_assessment`: simulation vectorized across sequences, plus the
  predictability and imbalance figures), and
- a straightforward loop written the usual way: one Python iteration per participant per sequence,
  computing the same figures,

and prints sequences per CPU second (``time.process_time``: this process, all threads; wall time
beside it) and the speed-up in CPU time, measured in the same run. Issue 23's goal: blocks >= 30x
the loop. The loops are the reference implementations: their figures estimate the same
quantities as the vectorized ones (equal within Monte Carlo error; the per-sequence figures of
the two are checked equal, exactly, in tests/randomization/test_randomization_block_metrics.py).
"""

from __future__ import annotations

import argparse
import platform
import random
import time

import numpy as np

from trialdesk.randomization import get_procedure
from trialdesk.randomization.assessment import monte_carlo_assessment

LEVELS = [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5]]


def _score(guess_counts: list[int], arm: int) -> float:
    a, b = guess_counts
    if a == b:
        return 0.5
    return 1.0 if (arm == 0) == (a < b) else 0.0


def loop_blocks(n: int, sims: int, rng: random.Random) -> float:
    correct = 0.0
    for _ in range(sims):
        counts = [0, 0]
        block: list[int] = []
        hits = 0.0
        for _ in range(n):
            if not block:
                size = rng.choice((2, 4))
                block = [0] * (size // 2) + [1] * (size // 2)
                rng.shuffle(block)
            arm = block.pop()
            hits += _score(counts, arm)
            counts[arm] += 1
        correct += hits / n
    return correct / sims


def loop_minimization(n: int, sims: int, rng: random.Random, p: float = 0.8) -> float:
    correct = 0.0
    for _ in range(sims):
        table = [[[0, 0] for _ in range(3)], [[0, 0] for _ in range(2)]]
        counts = [0, 0]
        hits = 0.0
        for _ in range(n):
            levels = [rng.randrange(3), rng.randrange(2)]
            scores = []
            for arm in (0, 1):
                total = 0
                for factor, level in enumerate(levels):
                    cell = list(table[factor][level])
                    cell[arm] += 1
                    total += max(cell) - min(cell)
                scores.append(total)
            if scores[0] == scores[1]:
                arm = 0 if rng.random() < 0.5 else 1
            else:
                best = 0 if scores[0] < scores[1] else 1
                arm = best if rng.random() < p else 1 - best
            hits += _score(counts, arm)
            counts[arm] += 1
            for factor, level in enumerate(levels):
                table[factor][level][arm] += 1
        correct += hits / n
    return correct / sims


def _timed(run):
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def measure(label: str, vectorized, loop, sims: int, loop_sims: int) -> None:
    result, vector_cpu, vector_wall = _timed(vectorized)
    loop_value, loop_cpu, loop_wall = _timed(loop)
    vector_rate = sims / vector_cpu
    loop_rate = loop_sims / loop_cpu
    print(f"{label}")
    print(
        f"  vectorized : {sims:>8} sequences in {vector_cpu:7.2f} s CPU ({vector_wall:6.2f} s wall)"
        f" = {vector_rate:>10,.0f} seq/s   correct guesses {result.correct_guess_proportion:.4f}"
        f" (s.e. {result.standard_errors['correct_guess_proportion']:.4f})"
    )
    print(
        f"  python loop: {loop_sims:>8} sequences in {loop_cpu:7.2f} s CPU"
        f" ({loop_wall:6.2f} s wall)"
        f" = {loop_rate:>10,.0f} seq/s   correct guesses {loop_value:.4f}"
    )
    print(f"  speed-up   : {vector_rate / loop_rate:.0f}x (CPU time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument("--loop-sims", type=int, default=5_000)
    args = parser.parse_args()
    n, sims, loop_sims = args.n, args.sims, args.loop_sims
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, n = {n}"
    )
    blocks = get_procedure("permuted-blocks", block_sizes=[2, 4])
    measure(
        "permuted blocks, sizes {2, 4}, 1:1",
        lambda: monte_carlo_assessment(blocks, n, sims=sims, seed=1),
        lambda: loop_blocks(n, loop_sims, random.Random(1)),
        sims,
        loop_sims,
    )
    minimization = get_procedure("minimization", p=0.8)
    measure(
        "minimization, p = 0.8, range, factors of 3 and 2 levels",
        lambda: monte_carlo_assessment(
            minimization, n, sims=sims, seed=1, level_probabilities=LEVELS
        ),
        lambda: loop_minimization(n, loop_sims, random.Random(1)),
        sims,
        loop_sims,
    )
    print(
        f"reproduce: .venv/bin/python bench/randomization_assess.py --n {n} --sims {sims} "
        f"--loop-sims {loop_sims}"
    )


if __name__ == "__main__":
    main()
