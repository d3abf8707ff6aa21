"""Issue 18: the dose from the participant's recorded weight with the protocol's rounding, the
resupply trigger before a site can run out of either arm, and the forecast page's figures."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from enrollment import randomize
from login import signed_in_client
from supply_kit import SUPPLY, record_weight, released_lot_with_kits, ship_and_receive

from trialdesk.web.trials.models import AllocationSlot, Randomization

PHARMACIST = "pharmacist-co-01"


def _prepare(trial, weight: float) -> dict:
    code, kit = randomize(trial.api("investigator-co-01"))
    released_lot_with_kits(trial, "LOT", [kit])
    ship_and_receive(trial, [kit])
    record_weight(trial, code, weight)
    thawed = (timezone.now() - dt.timedelta(minutes=30)).isoformat()
    return trial.api(PHARMACIST).ok("POST", f"/api/v1/supply/kits/{kit}/preparation",
                                    {"thawed_at": thawed})


def test_the_dose_comes_from_the_recorded_weight_with_the_protocols_rounding(trial):
    """[product]: 1e6 cells/kg, cells rounded half up to 1e6, volume to 0.1 mL at the nominal
    1e6 cells/mL for both arms (a lot measured at 2e6/mL is brought to it): a bag's volume must
    not tell cells from placebo at the bedside."""
    prepared = _prepare(trial, 68.5)
    # by hand: 68.5 kg x 1e6 = 68.5e6 cells -> 69e6 (half up); 69e6 / 1e6 = 69.0 mL, either arm
    cells = (Decimal("68.5") * Decimal("1e6") / Decimal("1e6")).quantize(
        Decimal(1), rounding=ROUND_HALF_UP) * Decimal("1e6")
    assert prepared["dose_cells"] == float(cells) == 69e6
    assert prepared["volume_ml"] == 69.0
    assert prepared["weight_kg"] == 68.5 and "0.1 mL" in prepared["rounding"]


def test_a_kit_is_not_prepared_without_a_recorded_weight(trial):
    code, kit = randomize(trial.api("investigator-co-01"))
    released_lot_with_kits(trial, "LOT", [kit])
    ship_and_receive(trial, [kit])
    thawed = (timezone.now() - dt.timedelta(minutes=30)).isoformat()
    path = f"/api/v1/supply/kits/{kit}/preparation"
    missing = trial.api(PHARMACIST).post(path, {"thawed_at": thawed})
    assert missing.status_code == 409 and "weight" in missing.json()["detail"]
    record_weight(trial, code, 80)  # the form's own range refuses an implausible weight
    assert trial.api(PHARMACIST).post(path, {"thawed_at": thawed}).status_code == 201


def _stock(trial) -> dict:
    return next(s for s in trial.api(SUPPLY).get("/api/v1/supply/inventory").json()
                if s["site"] == "CO-01")


def test_resupply_fires_while_either_arm_can_still_serve_the_next_participant(trial):
    """Randomize participants one by one at a site stocked with 4 kits per arm of its stratum:
    the trigger (either arm at or below the protocol's minimum of 2) fires while both arms still
    hold a kit, and never later than the first time an arm falls to the minimum."""
    first, _ = randomize(trial.api("investigator-co-01"))
    stratum = Randomization.objects.get(participant__code=first).slot.stratum
    kits = []
    for arm in ("msc", "standard"):
        kits += list(AllocationSlot.objects.filter(stratum=stratum, arm=arm, used=False)
                     .order_by("sequence").values_list("kit_code", flat=True)[:4])
    # every other stratum of the site has its next kit at hand too (they take no participant)
    kits += [_next_kit(other) for other in _site_strata("CO-01") if other != stratum]
    released_lot_with_kits(trial, "LOT", kits)
    ship_and_receive(trial, kits)
    seen = []
    stock = _stock(trial)
    while not stock["resupply_needed"]:
        assert min(stock["by_arm"].values()) > 2
        randomize(trial.api("investigator-co-01"))
        stock = _stock(trial)
        seen.append(stock["by_arm"])
    assert seen, "the site needed resupply before any participant"
    assert min(stock["by_arm"].values()) == 2  # fired at the minimum, both arms still stocked


def _site_strata(site: str) -> list[str]:
    return sorted(set(AllocationSlot.objects.filter(stratum__contains=f"site={site}")
                      .values_list("stratum", flat=True)))


def _next_kit(stratum: str) -> str:
    """The kit a stratum's next participant is given: its first free slot in list order."""
    return AllocationSlot.objects.filter(stratum=stratum, used=False).order_by(
        "sequence").values_list("kit_code", flat=True)[0]


def test_resupply_fires_when_a_stratums_next_kit_is_not_at_the_site(trial):
    """The counts per arm are not the whole rule for a list: the next participant of a stratum
    is given that stratum's next slot's kit. A site stocked with 3 kits per arm, all of one
    stratum, is above the minimum (2) in both arms, yet cannot serve the next participant of
    its other stratum: the trigger fires and names that kit; shipping it clears the trigger."""
    strata = _site_strata("CO-01")
    assert len(strata) == 2  # CO-01 x ARDS severity (moderate, severe)
    stocked, other = strata
    kits = [kit for arm in ("msc", "standard") for kit in AllocationSlot.objects.filter(
        stratum=stocked, arm=arm, used=False).order_by("sequence").values_list(
        "kit_code", flat=True)[:3]]
    missing = _next_kit(other)
    released_lot_with_kits(trial, "LOT", [*kits, missing])
    ship_and_receive(trial, kits)
    stock = _stock(trial)
    assert stock["by_arm"] == {"msc": 3, "standard": 3}  # above the minimum in both arms
    assert stock["resupply_needed"] and stock["next_kits_missing"] == [missing]
    assert missing in signed_in_client(trial.users[SUPPLY]).get("/supply/").content.decode()
    # the site's pharmacist is told resupply is needed, not which kit is next: its arrival
    # would raise one arm's count and so tell the next participant's arm
    pharmacist = trial.api("pharmacist-co-01").get("/api/v1/supply/inventory").json()
    assert pharmacist[0]["resupply_needed"] and "next_kits_missing" not in pharmacist[0]
    assert missing not in signed_in_client(trial.users["pharmacist-co-01"]).get(
        "/supply/").content.decode()
    ship_and_receive(trial, [missing])
    stock = _stock(trial)
    assert stock["next_kits_missing"] == [] and not stock["resupply_needed"]


def test_the_forecast_is_for_the_supply_manager_with_a_shipment_per_site(trial):
    randomize(trial.api("investigator-co-01"))
    forecast = trial.api(SUPPLY).get("/api/v1/supply/forecast").json()
    assert forecast["days"] == 14 and forecast["target"] == 0.05
    co01 = next(s for s in forecast["sites"] if s["site"] == "CO-01")
    # one randomization on the first day: 1 per day; no stock, so a stock-out is near certain
    assert co01["rate_per_day"] == 1.0 and co01["probability"] > 0.99
    assert sum(co01["recommended_shipment"].values()) > 0
    for role in ("investigator-co-01", "pharmacist-co-01", "quality", "data_manager"):
        assert trial.api(role).get("/api/v1/supply/forecast").status_code == 403
