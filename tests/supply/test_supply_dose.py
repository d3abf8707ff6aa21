"""The dose from weight with NCT04390152's rounding (issue 18): 1e6 cells/kg capped at 1e8, cells
rounded half up to 1e6, the volume half up to 0.1 mL at the lot's or the nominal concentration;
hand-worked examples, an independent integer computation over every weight the form accepts, and
refusals naming the field."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.protocol.loader import default_protocol_path
from trialdesk.protocol.product import DoseRounding
from trialdesk.supply.dose import DoseError, compute_dose

RULES = load_protocol(default_protocol_path()).product


@pytest.mark.parametrize(("weight", "cells_per_ml", "cells", "volume"), [
    # 72.4 kg x 1e6 = 72.4e6 -> 72e6 cells; at the nominal 1e6/mL: 72.0 mL
    (72.4, None, 72e6, 72.0),
    # 72.5e6 is half way: half up -> 73e6 (banker's rounding would give 72e6)
    (72.5, None, 73e6, 73.0),
    # typed 70.15 kg is 70.15e6 as written, not its binary neighbour
    (70.15, None, 70e6, 70.0),
    # a lot measured at 1.3e6/mL: 73e6 / 1.3e6 = 56.153... mL -> 56.2 mL
    (72.5, 1.3e6, 73e6, 56.2),
    # 49e6 / 4e6 = 12.25 mL, half way: half up -> 12.3 mL
    (49.0, 4e6, 49e6, 12.3),
    # 100 kg reaches the cap exactly (not capped); 140 kg is capped at 1e8
    (100, None, 1e8, 100.0),
    (140, 1.25e6, 1e8, 80.0),
    # the lightest and heaviest weights the protocol believes
    (20, None, 20e6, 20.0),
    (300, None, 1e8, 100.0),
])
def test_hand_worked_doses(weight, cells_per_ml, cells, volume):
    dose = compute_dose(weight, RULES, cells_per_ml)
    assert (dose.cells, dose.volume_ml) == (cells, volume)
    assert dose.cells_computed == pytest.approx(weight * 1e6)
    assert dose.capped is (weight * 1e6 > 1e8)
    assert dose.cells_per_ml == (cells_per_ml or 1e6)


def test_the_rounding_applied_is_stated():
    assert compute_dose(72.4, RULES).rounding == (
        "cells rounded to the nearest (half up) 1e6, volume to the nearest (half up) 0.1 mL")
    assert compute_dose(140, RULES).rounding.startswith("capped at 1e8 cells; ")


def test_rounding_down_never_gives_more_than_computed():
    rules = RULES.model_copy(update={"dose_rounding": DoseRounding(
        cells_step=1e6, volume_step_ml=0.1, mode="down")})
    dose = compute_dose(72.9, rules, 1.3e6)
    # 72.9e6 -> 72e6 cells; 72e6 / 1.3e6 = 55.38... -> 55.3 mL
    assert (dose.cells, dose.volume_ml) == (72e6, 55.3)
    assert "rounded down to 1e6" in dose.rounding


def test_a_cap_that_is_not_a_multiple_of_the_step_is_never_exceeded():
    rules = RULES.model_copy(update={"dose_cap_cells": 9.95e7})
    # 100e6 capped to 99.5e6, half up would give 100e6 > the cap: 99e6
    assert compute_dose(100, rules).cells == 99e6
    assert compute_dose(99.4, rules).cells == 99e6


def _independent(weight_tenths: int, concentration_tenths_of_millions: int) -> tuple[int, int]:
    """Cells in millions and volume in tenths of mL, by integer arithmetic: half up is
    floor(x + 1/2) on exact fractions."""
    millions = min(math.floor(Fraction(weight_tenths, 10) + Fraction(1, 2)), 100)
    volume_tenths = math.floor(Fraction(millions * 100, concentration_tenths_of_millions)
                               + Fraction(1, 2))
    return millions, volume_tenths


@pytest.mark.parametrize("concentration_tenths", [10, 13, 7])
def test_every_weight_the_form_accepts_matches_an_independent_computation(concentration_tenths):
    # the screening form takes weights from 20 to 300 kg with one decimal
    for weight_tenths in range(200, 3001):
        millions, volume_tenths = _independent(weight_tenths, concentration_tenths)
        dose = compute_dose(weight_tenths / 10, RULES, concentration_tenths * 1e5)
        assert (dose.cells, dose.volume_ml) == (millions * 1e6, volume_tenths / 10), weight_tenths


def test_the_placebo_volume_at_the_nominal_concentration_matches_the_cells_volume():
    # a bag's volume must not tell the arm: both are computed at the nominal 1e6 cells/mL
    for weight in (45.3, 72.5, 88.0, 131.7):
        assert compute_dose(weight, RULES).volume_ml == compute_dose(weight, RULES, 1e6).volume_ml


@pytest.mark.parametrize(("weight", "words"), [
    (0, "must be above 0"),
    (-70, "must be above 0"),
    (300.1, "above the protocol's plausible maximum of 300 (product.max_weight_kg)"),
    (7000, "above the protocol's plausible maximum"),
    (float("nan"), "must be a number"),
    (float("inf"), "must be a number"),
    ("72", "must be a number"),
    (None, "must be a number"),
    (True, "must be a number"),
    (0.4, "gives no cells once rounded to 1e6"),
])
def test_an_impossible_weight_is_refused_naming_the_field(weight, words):
    with pytest.raises(ValueError, match=r"^weight_kg: ") as caught:
        compute_dose(weight, RULES)
    assert isinstance(caught.value, DoseError) and caught.value.field == "weight_kg"
    assert words in str(caught.value)


@pytest.mark.parametrize("concentration", [0, -1e6, float("nan")])
def test_an_impossible_concentration_is_refused_naming_the_field(concentration):
    with pytest.raises(DoseError) as caught:
        compute_dose(70, RULES, concentration)
    assert caught.value.field == "cells_per_ml" and str(caught.value).startswith("cells_per_ml: ")
