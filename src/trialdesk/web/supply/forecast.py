"""The supply forecast from the enrollment so far (issue 18), for the supply manager only.

Each site's arrival rate is its randomizations divided by the days since the trial's first
randomization (at least one day); the stock is the site's usable kits per arm
(``inventory.site_stock``). The Monte Carlo and the shipment search are ``trialdesk.supply``'s.
"""

from __future__ import annotations

from typing import Any

from trialdesk.randomization.from_protocol import protocol_arms
from trialdesk.supply import SiteSupply, recommend_shipment, simulate_supply
from trialdesk.web.core import clock
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.supply.actions import product_rules
from trialdesk.web.supply.inventory import site_stock
from trialdesk.web.supply.presenters import forecast_view
from trialdesk.web.trials.models import Randomization

SIMULATIONS, SEED = 10_000, 18


def enrollment_rates(site_codes: list[str]) -> dict[str, float]:
    """Participants randomized per day at each site, since the trial's first randomization."""
    first = Randomization.objects.order_by("randomized_at").values_list(
        "randomized_at", flat=True).first()
    days = max(1.0, (clock.now() - first).total_seconds() / 86400) if first else 1.0
    rates = dict.fromkeys(site_codes, 0.0)
    for code in Randomization.objects.values_list("participant__site__code", flat=True):
        if code in rates:
            rates[code] += 1 / days
    return rates


def supply_forecast(simulations: int = SIMULATIONS, seed: int = SEED) -> dict[str, Any]:
    """Each site's probability of a stock-out within the protocol's horizon, and the smallest
    shipment per arm that keeps it at or below the protocol's target."""
    rules = product_rules()
    protocol = get_protocol()
    arms, ratio = protocol_arms(protocol)
    codes = [site.code for site in protocol.sites]
    rates = enrollment_rates(codes)
    sites = [SiteSupply(code, rates[code], tuple(site_stock(code).by_arm)) for code in codes]
    pair = (ratio[0], ratio[1])
    forecast = simulate_supply(sites, pair, rules.forecast_days, simulations, seed)
    recommended = {site.code: recommend_shipment(site, pair, rules.forecast_days,
                                                 rules.stockout_target, simulations, seed)
                   for site in sites}
    view = forecast_view(forecast, rates, recommended, arms)
    view["target"] = rules.stockout_target
    return view
