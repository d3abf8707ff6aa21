"""The supply forecast: the probability that a site runs out of either arm's kits.

Participants arrive at a site as a Poisson process (``rate_per_day``, from its enrollment so far);
each is allocated to an arm independently with the design's ratio, so each arm's arrivals over
``days`` are Poisson(rate x days x share) and independent of the other arm's (Binomial thinning of
a Poisson process). A stock-out is a participant who arrives when their arm has no kit left: more
arrivals of an arm than its stock. The trial's permuted blocks keep the arms closer to the ratio
than independent draws do, so the risk computed here is the upper (safe) side.

The Monte Carlo draws every site and simulation at once with numpy, in fixed chunks, from
``numpy.random.default_rng(seed)``: the same seed gives the same figures bit for bit, with or
without a progress callback. The one-site closed form (:func:`stockout_probability_poisson`)
checks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

CHUNK = 20_000  # simulations drawn per step (memory bound; progress is reported per chunk)

Progress = Callable[[int], object]
"""Called with the number of simulations just done, like ``tqdm.update``."""


@dataclass(frozen=True)
class SiteSupply:
    code: str
    rate_per_day: float  # participants randomized per day at this site
    stock_by_arm: tuple[int, int]  # usable kits per arm, in the design's arm order


@dataclass(frozen=True)
class StockoutRisk:
    probability: float
    standard_error: float  # of the Monte Carlo estimate: sqrt(p (1 - p) / simulations)


@dataclass(frozen=True)
class SupplyForecast:
    per_site: dict[str, StockoutRisk]
    any_site: StockoutRisk  # the probability that at least one site runs out
    days: int
    simulations: int
    seed: int


def stockout_probability_poisson(rate_per_day: float, days: int, stock: int) -> float:
    """P(N >= stock + 1) for N ~ Poisson(rate x days): one arm at one site runs out."""
    from scipy.stats import poisson

    _check_rate("rate_per_day", rate_per_day)
    _check_count("stock", stock, minimum=0)
    return float(poisson.sf(stock, rate_per_day * days))


def _check_rate(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: must be a rate of 0 or more per day (got {value!r})")


def _check_count(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: must be a whole number of {minimum} or more (got {value!r})")


def _check_inputs(sites: Sequence[SiteSupply], ratio: tuple[int, int], days: int,
                  simulations: int) -> None:
    if len(ratio) != 2:
        raise ValueError(f"ratio: two arms expected (got {ratio!r})")
    for part in ratio:
        _check_count("ratio", part, minimum=1)
    _check_count("days", days, minimum=1)
    _check_count("simulations", simulations, minimum=1)
    codes = [site.code for site in sites]
    if not sites or len(set(codes)) != len(codes):
        raise ValueError(f"sites: one or more sites with distinct codes expected (got {codes})")
    for site in sites:
        _check_rate(f"sites[{site.code}].rate_per_day", site.rate_per_day)
        if len(site.stock_by_arm) != 2:
            raise ValueError(f"sites[{site.code}].stock_by_arm: two arms expected")
        for stock in site.stock_by_arm:
            _check_count(f"sites[{site.code}].stock_by_arm", stock, minimum=0)


def _draw_arrivals(rng: np.random.Generator, rates: np.ndarray, ratio: tuple[int, int],
                   days: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals per arm, shape (count, sites): a Poisson total split by Binomial thinning."""
    totals = rng.poisson(rates * days, size=(count, rates.size))
    first = rng.binomial(totals, ratio[0] / (ratio[0] + ratio[1]))
    return first, totals - first


def _risk(events: int, simulations: int) -> StockoutRisk:
    probability = events / simulations
    return StockoutRisk(probability, math.sqrt(probability * (1 - probability) / simulations))


def simulate_supply(sites: Sequence[SiteSupply], ratio: tuple[int, int], days: int,
                    simulations: int, seed: int,
                    progress: Progress | None = None) -> SupplyForecast:
    """Estimate each site's probability of a stock-out within ``days`` by Monte Carlo."""
    _check_inputs(sites, ratio, days, simulations)
    rng = np.random.default_rng(seed)
    rates = np.array([site.rate_per_day for site in sites], dtype=float)
    stock = np.array([site.stock_by_arm for site in sites], dtype=np.int64)
    per_site = np.zeros(len(sites), dtype=np.int64)
    any_site = 0
    for start in range(0, simulations, CHUNK):
        count = min(CHUNK, simulations - start)
        first, second = _draw_arrivals(rng, rates, ratio, days, count)
        out = (first > stock[:, 0]) | (second > stock[:, 1])
        per_site += out.sum(axis=0)
        any_site += int(out.any(axis=1).sum())
        if progress is not None:
            progress(count)
    return SupplyForecast(
        per_site={site.code: _risk(int(events), simulations)
                  for site, events in zip(sites, per_site, strict=True)},
        any_site=_risk(any_site, simulations), days=days, simulations=simulations, seed=seed)


def recommend_shipment(site: SiteSupply, ratio: tuple[int, int], days: int, target: float,
                       simulations: int, seed: int) -> tuple[int, int]:
    """The smallest shipment (kits per arm) after which P(stock-out within ``days``) <= target.

    Smallest means the fewest kits in all; among shipments of the same size, the most even, then
    the one with fewer kits of the first arm. The probability is estimated on ``simulations``
    draws of the site's arrivals (the same model as :func:`simulate_supply`).
    """
    _check_inputs([site], ratio, days, simulations)
    if not 0 < target < 1:
        raise ValueError(f"target: must be a probability between 0 and 1 (got {target!r})")
    rng = np.random.default_rng(seed)
    first, second = _draw_arrivals(rng, np.array([site.rate_per_day]), ratio, days, simulations)
    first, second = first[:, 0], second[:, 0]
    # a shipment is acceptable when at most this many simulations run out
    allowed = math.floor(target * simulations + 1e-9)
    have_first, have_second = site.stock_by_arm
    # shipping enough for the first arm's largest draw always works: the loop's last level
    best = (math.inf, 0, 0, 0)
    for level_first in range(have_first, max(have_first, int(first.max())) + 1):
        short_first = int((first > level_first).sum())
        if short_first > allowed:
            continue
        # the simulations the first arm survives: the second arm may run out in at most
        # `allowed - short_first` of them; the smallest level doing so is the next largest value
        rest = np.sort(second[first <= level_first])[::-1]
        spare = allowed - short_first
        needed_second = int(rest[spare]) if spare < rest.size else 0
        level_second = max(have_second, needed_second)
        shipment = (level_first - have_first, level_second - have_second)
        key = (sum(shipment), abs(shipment[0] - shipment[1]), *shipment)
        best = min(best, key)
    return int(best[2]), int(best[3])


def resupply_needed(stock_by_arm: tuple[int, int], minimum_per_arm: int) -> bool:
    """True when either arm has ``minimum_per_arm`` usable kits or fewer.

    At or below, not below: with a minimum of 1 or more the trigger fires while the arm still has
    a kit, so the next participant can be served whatever arm they are allocated to while the
    shipment travels.
    """
    _check_count("minimum_per_arm", minimum_per_arm, minimum=1)
    return any(stock <= minimum_per_arm for stock in stock_by_arm)
