"""The cell product's supply rules, plain Python (issue 18): lot release, temperature logs and
their excursions, the dose from weight, and the supply forecast with its resupply trigger. The
Django app (``trialdesk.web.supply``) stores, authorizes and shows; the rules are here."""

from trialdesk.supply.dose import Dose, DoseError, compute_dose
from trialdesk.supply.forecast import (
    SiteSupply,
    StockoutRisk,
    SupplyForecast,
    recommend_shipment,
    resupply_needed,
    simulate_supply,
    stockout_probability_poisson,
)
from trialdesk.supply.infusion import Infusion, InfusionError, Interruption, check_infusion
from trialdesk.supply.release import ReleaseDecision, ReleaseFailure, evaluate_release, rule_text
from trialdesk.supply.temperature import (
    Excursion,
    LogProblem,
    TemperatureLogError,
    TemperatureReading,
    find_excursions,
    read_temperature_log,
)

__all__ = [
    "Dose", "DoseError", "Excursion", "Infusion", "InfusionError", "Interruption", "LogProblem",
    "ReleaseDecision", "ReleaseFailure",
    "SiteSupply", "StockoutRisk", "SupplyForecast", "TemperatureLogError", "TemperatureReading",
    "check_infusion", "compute_dose", "evaluate_release", "find_excursions", "read_temperature_log",
    "recommend_shipment", "resupply_needed", "rule_text", "simulate_supply",
    "stockout_probability_poisson",
]
