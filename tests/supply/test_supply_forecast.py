"""The supply forecast (issue 18) against its closed form: participants arrive at a site as a
Poisson process and are allocated independently with the ratio, so each arm's arrivals over the
horizon are Poisson(rate x days x share) and independent (Binomial thinning); a stock-out is more
arrivals of an arm than its kits. One arm: P = the Poisson upper tail; two arms: 1 - the product of
the complements; sites independently the same. The Monte Carlo estimate must fall within 3
standard errors of the closed form; the recommended shipment must be the closed form's smallest;
the same seed gives the same figures bit for bit; the resupply trigger fires before either arm can
run out."""

from __future__ import annotations

import io
import itertools
import math

import pytest
from scipy.stats import poisson
from tqdm import tqdm

from trialdesk.supply.forecast import (
    CHUNK,
    SiteSupply,
    recommend_shipment,
    resupply_needed,
    simulate_supply,
    stockout_probability_poisson,
)

SIMULATIONS = 200_000


def test_the_closed_form_is_the_poisson_upper_tail():
    # the cumulative Poisson table of statistics textbooks: P(X <= 3 | mean 2) = 0.857, so one arm
    # with 3 kits and 2 expected arrivals runs out with probability 0.143; by hand:
    # 1 - e^-2 (1 + 2 + 2^2/2 + 2^3/6) = 0.142877
    by_hand = 1 - math.exp(-2) * (1 + 2 + 2 + 8 / 6)
    assert stockout_probability_poisson(0.5, 4, 3) == pytest.approx(by_hand, rel=1e-12)
    assert round(1 - stockout_probability_poisson(0.5, 4, 3), 3) == 0.857
    # no kit: the first arrival runs out, P(N >= 1) = 1 - e^-mean
    assert stockout_probability_poisson(0.25, 14, 0) == pytest.approx(1 - math.exp(-3.5))
    assert stockout_probability_poisson(0.0, 14, 0) == 0.0


def _within_3_se(risk, expected: float) -> None:
    assert risk.standard_error == pytest.approx(
        math.sqrt(risk.probability * (1 - risk.probability) / SIMULATIONS))
    assert abs(risk.probability - expected) <= 3 * risk.standard_error, (risk, expected)


def test_one_arm_at_one_site_matches_the_poisson_tail():
    # 0.5 a day for 14 days, 1:1: each arm sees Poisson(3.5); the second arm has more kits than
    # could ever be needed, so only the first can run out
    site = SiteSupply("CO-01", 0.5, (5, 1000))
    forecast = simulate_supply([site], (1, 1), 14, SIMULATIONS, seed=20200113)
    expected = float(poisson.sf(5, 3.5))
    assert expected == pytest.approx(stockout_probability_poisson(0.25, 14, 5))
    _within_3_se(forecast.per_site["CO-01"], expected)
    assert forecast.any_site == forecast.per_site["CO-01"]


@pytest.mark.parametrize(("ratio", "stock"), [((1, 1), (5, 5)), ((1, 1), (3, 7)),
                                               ((2, 1), (6, 3))])
def test_two_arms_run_out_independently(ratio, stock):
    site = SiteSupply("CO-02", 0.5, stock)
    forecast = simulate_supply([site], ratio, 14, SIMULATIONS, seed=7)
    shares = [part / sum(ratio) for part in ratio]
    survive = [1 - poisson.sf(kits, 0.5 * 14 * share) for kits, share in zip(stock, shares,
                                                                             strict=True)]
    _within_3_se(forecast.per_site["CO-02"], 1 - survive[0] * survive[1])


def test_several_sites_each_and_any():
    sites = [SiteSupply("CO-01", 0.3, (3, 3)), SiteSupply("CO-02", 0.2, (2, 4)),
             SiteSupply("CO-03", 0.05, (1, 1))]
    forecast = simulate_supply(sites, (1, 1), 14, SIMULATIONS, seed=3)
    safe = 1.0
    for site in sites:
        survive = math.prod(1 - poisson.sf(kits, site.rate_per_day * 14 / 2)
                            for kits in site.stock_by_arm)
        _within_3_se(forecast.per_site[site.code], 1 - survive)
        safe *= survive
    _within_3_se(forecast.any_site, 1 - safe)
    assert (forecast.days, forecast.simulations, forecast.seed) == (14, SIMULATIONS, 3)


def test_the_same_seed_gives_the_same_figures_bit_for_bit_with_or_without_progress():
    sites = [SiteSupply("CO-01", 0.3, (3, 3)), SiteSupply("CO-02", 0.2, (2, 4))]
    steps: list[int] = []
    first = simulate_supply(sites, (1, 1), 14, 2 * CHUNK + 5_000, seed=42)
    again = simulate_supply(sites, (1, 1), 14, 2 * CHUNK + 5_000, seed=42, progress=steps.append)
    assert first == again
    assert steps == [CHUNK, CHUNK, 5_000]
    assert simulate_supply(sites, (1, 1), 14, 2 * CHUNK + 5_000, seed=43) != first


def test_progress_drives_a_tqdm_bar():
    bar = tqdm(total=50_000, file=io.StringIO(), mininterval=0)
    simulate_supply([SiteSupply("CO-01", 0.3, (3, 3))], (1, 1), 14, 50_000, seed=1,
                    progress=bar.update)
    assert bar.n == 50_000
    bar.close()


def _closed_form_shipment(site: SiteSupply, ratio, days, target):
    """The smallest shipment by the closed form, with the same order of preference (fewest kits,
    most even, fewer of the first arm), and the best risk one kit fewer could reach."""
    means = [site.rate_per_day * days * part / sum(ratio) for part in ratio]

    def risk(ship):
        return 1 - math.prod(1 - poisson.sf(have + extra, mean)
                             for have, extra, mean in zip(site.stock_by_arm, ship, means,
                                                          strict=True))

    candidates = [ship for ship in itertools.product(range(40), repeat=2) if risk(ship) <= target]
    best = min(candidates, key=lambda s: (sum(s), abs(s[0] - s[1]), s))
    one_fewer = [ship for ship in itertools.product(range(40), repeat=2)
                 if sum(ship) == sum(best) - 1]
    return best, risk(best), min((risk(ship) for ship in one_fewer), default=1.0)


@pytest.mark.parametrize(("stock", "rate", "days", "target", "ratio"), [
    ((1, 1), 0.5, 14, 0.05, (1, 1)),
    ((2, 0), 0.3, 14, 0.05, (1, 1)),
    ((0, 0), 1.0, 14, 0.05, (1, 1)),
    ((3, 1), 0.4, 28, 0.10, (2, 1)),
])
def test_the_recommended_shipment_is_the_closed_forms_smallest(stock, rate, days, target, ratio):
    site = SiteSupply("CO-01", rate, stock)
    best, risk_best, risk_one_fewer = _closed_form_shipment(site, ratio, days, target)
    # the answer is not on a knife's edge: the chosen and one kit fewer are well apart from the
    # target compared with the Monte Carlo's error
    error = math.sqrt(target * (1 - target) / 400_000)
    assert risk_best < target - 5 * error and risk_one_fewer > target + 5 * error
    assert recommend_shipment(site, ratio, days, target, 400_000, seed=11) == best


def test_no_shipment_when_the_stock_already_suffices():
    site = SiteSupply("CO-01", 0.2, (20, 20))
    assert recommend_shipment(site, (1, 1), 14, 0.05, 100_000, seed=1) == (0, 0)
    # and the shipment, once received, brings the forecast under the target
    ship = recommend_shipment(SiteSupply("CO-01", 0.5, (1, 1)), (1, 1), 14, 0.05, 200_000, 2)
    after = SiteSupply("CO-01", 0.5, (1 + ship[0], 1 + ship[1]))
    risk = simulate_supply([after], (1, 1), 14, SIMULATIONS, seed=99).per_site["CO-01"]
    assert risk.probability <= 0.05


def test_the_resupply_trigger_fires_before_either_arm_can_run_out():
    assert not resupply_needed((3, 3), 2)
    assert resupply_needed((2, 5), 2) and resupply_needed((7, 2), 2)
    assert resupply_needed((0, 4), 2) and resupply_needed((1, 1), 1)
    # every order of allocations from (5, 5): by the time an arm is empty, the trigger has fired
    # while both arms still had a kit (the next participant could be served whatever their arm)
    for arms in itertools.product((0, 1), repeat=10):
        stock = [5, 5]
        fired_in_time = False
        for arm in arms:
            if min(stock) >= 1 and resupply_needed((stock[0], stock[1]), 2):
                fired_in_time = True
            stock[arm] -= 1
            if stock[arm] == 0:
                assert fired_in_time, arms
                break


@pytest.mark.parametrize(("call", "name"), [
    (lambda: simulate_supply([SiteSupply("A", 0.1, (1, 1))], (0, 1), 14, 10, 1), "ratio"),
    (lambda: simulate_supply([SiteSupply("A", 0.1, (1, 1))], (1, 1, 1), 14, 10, 1), "ratio"),
    (lambda: simulate_supply([SiteSupply("A", 0.1, (1, 1))], (1, 1), 0, 10, 1), "days"),
    (lambda: simulate_supply([SiteSupply("A", 0.1, (1, 1))], (1, 1), 14, 0, 1), "simulations"),
    (lambda: simulate_supply([SiteSupply("A", -0.1, (1, 1))], (1, 1), 14, 10, 1),
     "sites[A].rate_per_day"),
    (lambda: simulate_supply([SiteSupply("A", float("nan"), (1, 1))], (1, 1), 14, 10, 1),
     "sites[A].rate_per_day"),
    (lambda: simulate_supply([SiteSupply("A", 0.1, (-1, 1))], (1, 1), 14, 10, 1),
     "sites[A].stock_by_arm"),
    (lambda: simulate_supply([SiteSupply("A", 0.1, (1, 1))] * 2, (1, 1), 14, 10, 1), "sites"),
    (lambda: simulate_supply([], (1, 1), 14, 10, 1), "sites"),
    (lambda: recommend_shipment(SiteSupply("A", 0.1, (1, 1)), (1, 1), 14, 0, 10, 1), "target"),
    (lambda: recommend_shipment(SiteSupply("A", 0.1, (1, 1)), (1, 1), 14, 1, 10, 1), "target"),
    (lambda: stockout_probability_poisson(0.1, 14, -1), "stock"),
    (lambda: resupply_needed((3, 3), 0), "minimum_per_arm"),
])
def test_bad_inputs_are_refused_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name.replace('[', '.').replace(']', '.')}: "):
        call()
