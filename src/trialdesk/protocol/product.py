"""The investigational product's rules (``[product]``, optional; issue 18).

A living cell product is released lot by lot against the protocol's tests, kept and shipped in a
temperature range, thawed and given within a few hours, dosed by body weight and resupplied to
the sites before either arm can run out. The functions that apply these rules live in
:mod:`trialdesk.supply`; this module only says what the protocol may state and checks that it is
coherent (a range's low end below its high end, a limit wherever a test compares a number).

Nothing here names an arm: placebo preparations are lots too, released on the tests that apply to
them (``cell_lot_only`` marks the tests that only a lot with cells can pass, such as viability).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from trialdesk.protocol.base import Code, StrictModel


class ReleaseTest(StrictModel):
    """One release test: ``min`` (value >= limit), ``max`` (value <= limit) or ``pass``.

    Both limits are inclusive, as release specifications are written ("viability >= 70 %").
    """

    code: Code
    label: str = Field(min_length=1)
    label_es: str = Field(min_length=1)
    kind: Literal["min", "max", "pass"]
    limit: float | None = None
    unit: str = ""
    # a test only a lot with cells can pass (cell count, viability, identity markers); a placebo
    # (vehicle) lot is released on the others
    cell_lot_only: bool = False

    @model_validator(mode="after")
    def _limit_matches_kind(self) -> ReleaseTest:
        if self.kind == "pass" and self.limit is not None:
            raise ValueError(f"release test {self.code!r}: a 'pass' test has no limit")
        if self.kind != "pass" and self.limit is None:
            raise ValueError(f"release test {self.code!r}: a '{self.kind}' test needs a limit")
        return self

    def label_text(self, language: str = "en") -> str:
        """The test's name in ``language`` (Spanish or English)."""
        return self.label_es if language.split("-")[0].lower() == "es" else self.label


class DoseRounding(StrictModel):
    """How a computed dose is rounded: the cells to a multiple of ``cells_step``, then the volume
    (cells / concentration) to a multiple of ``volume_step_ml``; ``nearest`` rounds half up,
    ``down`` never gives more than computed."""

    cells_step: float = Field(gt=0)
    volume_step_ml: float = Field(gt=0)
    mode: Literal["nearest", "down"] = "nearest"


class ProductRules(StrictModel):
    release_tests: list[ReleaseTest] = Field(min_length=1)
    # the dose: cells per kg of body weight, its rounding, an upper cap on cells if any, and the
    # heaviest weight believed (a heavier one is a typing error, refused)
    dose_cells_per_kg: float = Field(gt=0)
    dose_rounding: DoseRounding
    dose_cap_cells: float | None = Field(default=None, gt=0)
    max_weight_kg: float = Field(gt=0)
    # the product's concentration as formulated: gives the volume when a lot's measured
    # concentration is not used, and the placebo's volume, which must match the cells' (blinding)
    nominal_cells_per_ml: float = Field(gt=0)
    # hours from thaw to the end of the infusion; days from manufacture to expiry
    post_thaw_hours: float = Field(gt=0)
    shelf_life_days: int = Field(gt=0)
    # inclusive ranges in degrees Celsius, [low, high]
    storage_celsius: tuple[float, float]
    shipping_celsius: tuple[float, float]
    # minutes out of range a logger may show before it counts as an excursion
    excursion_grace_minutes: int = Field(ge=0)
    # a site needs resupply when either arm's usable kits are at or below this (>= 1, so the
    # trigger fires while the next participant of that arm can still be served)
    resupply_minimum_per_arm: int = Field(ge=1)
    # the supply forecast: the largest acceptable probability of a stock-out within the horizon
    stockout_target: float = Field(gt=0, lt=1)
    forecast_days: int = Field(gt=0)
    # the infusion's limits, inclusive and the same for both arms (the bags hold the same volume
    # at the nominal concentration): the rate in mL/h and the volume infused in mL. Defaults, as
    # the registry page gives none: a bag of up to 100 mL (the dose cap at 1e6 cells/mL) run in
    # 20 minutes to a few hours, well inside the post-thaw window (an assumption of the protocol)
    infusion_rate_ml_per_h: tuple[float, float] = (30.0, 300.0)
    infusion_volume_ml: tuple[float, float] = (1.0, 100.0)

    @field_validator("storage_celsius", "shipping_celsius", "infusion_rate_ml_per_h",
                     "infusion_volume_ml")
    @classmethod
    def _ordered_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low >= high:
            raise ValueError(f"the range's low end ({low}) must be below its high end ({high})")
        return value

    @field_validator("infusion_rate_ml_per_h", "infusion_volume_ml")
    @classmethod
    def _positive_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] <= 0:
            raise ValueError(f"the range's low end ({value[0]}) must be above 0")
        return value

    @model_validator(mode="after")
    def _capped_dose_fits_the_volume_limit(self) -> ProductRules:
        # a capped dose at the nominal concentration that the volume limit refused could never
        # be infused
        if self.dose_cap_cells is not None:
            largest = self.dose_cap_cells / self.nominal_cells_per_ml
            if largest > self.infusion_volume_ml[1]:
                raise ValueError(f"infusion_volume_ml: the largest dose's volume ({largest:g} mL, "
                                 "dose_cap_cells / nominal_cells_per_ml) is above the limit "
                                 f"({self.infusion_volume_ml[1]:g} mL)")
        return self

    @model_validator(mode="after")
    def _unique_test_codes(self) -> ProductRules:
        codes = [test.code for test in self.release_tests]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"release_tests: code(s) given twice: {', '.join(repeated)}")
        return self

    def release_test(self, code: str) -> ReleaseTest:
        """Return the release test with this code."""
        return next(test for test in self.release_tests if test.code == code)
