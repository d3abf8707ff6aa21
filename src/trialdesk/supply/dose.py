"""The dose from the participant's weight and the protocol's dose per kg (``[product]``).

The rule, in order: cells = weight x dose per kg, capped at ``dose_cap_cells``; the cells rounded
to a multiple of ``dose_rounding.cells_step``; the volume = those cells / the concentration,
rounded to a multiple of ``dose_rounding.volume_step_ml``. ``nearest`` rounds half up (72.5e6 ->
73e6 cells), ``down`` never above the computed dose. The arithmetic is decimal, so a weight typed
as 70.15 kg rounds as written, not as its nearest binary fraction.

The concentration is the lot's measured one when given, else the protocol's nominal one; the
placebo's volume is computed at the nominal concentration so that the bags of both arms hold the
same volume for the same weight (a volume that differed by arm would unblind).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from trialdesk.protocol.product import ProductRules
from trialdesk.supply.release import format_number


class DoseError(ValueError):
    """A dose cannot be computed from these values; ``field`` names the one at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Dose:
    weight_kg: float
    cells_computed: float  # weight x dose per kg, before the cap and the rounding
    cells: float
    capped: bool
    cells_per_ml: float
    volume_ml: float
    rounding: str  # the rule applied, in words


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _round_to_step(value: Decimal, step: Decimal, mode: str) -> Decimal:
    steps = (value / step).quantize(Decimal(1), ROUND_HALF_UP if mode == "nearest" else ROUND_DOWN)
    return steps * step


def _check_positive(field: str, value: float, maximum: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DoseError(field, f"must be a number (got {value!r})")
    if value <= 0:
        raise DoseError(field, f"must be above 0 (got {format_number(value)})")
    if maximum is not None and value > maximum:
        raise DoseError(field, f"{format_number(value)} is above the protocol's plausible "
                               f"maximum of {format_number(maximum)} (product.max_weight_kg): "
                               "check the value entered")


def compute_dose(weight_kg: float, rules: ProductRules,
                 cells_per_ml: float | None = None) -> Dose:
    """Return the dose for ``weight_kg``; raise DoseError (a ValueError) naming the bad field."""
    _check_positive("weight_kg", weight_kg, rules.max_weight_kg)
    if cells_per_ml is not None:
        _check_positive("cells_per_ml", cells_per_ml)
    concentration = rules.nominal_cells_per_ml if cells_per_ml is None else cells_per_ml
    rounding = rules.dose_rounding
    cells_step, volume_step = _decimal(rounding.cells_step), _decimal(rounding.volume_step_ml)
    computed = _decimal(weight_kg) * _decimal(rules.dose_cells_per_kg)
    cap = None if rules.dose_cap_cells is None else _decimal(rules.dose_cap_cells)
    capped = cap is not None and computed > cap
    cells = _round_to_step(min(computed, cap) if cap is not None else computed,
                           cells_step, rounding.mode)
    if cap is not None and cells > cap:  # a cap that is not a multiple of the step
        cells = _round_to_step(cap, cells_step, "down")
    if cells <= 0:
        raise DoseError("weight_kg", f"{format_number(weight_kg)} kg gives no cells once "
                                     f"rounded to {format_number(rounding.cells_step)}")
    volume = _round_to_step(cells / _decimal(concentration), volume_step, rounding.mode)
    how = "to the nearest (half up)" if rounding.mode == "nearest" else "down to"
    rule = (f"cells rounded {how} {format_number(rounding.cells_step)}, volume {how} "
            f"{format_number(rounding.volume_step_ml)} mL")
    if capped:
        rule = f"capped at {format_number(rules.dose_cap_cells)} cells; {rule}"
    return Dose(weight_kg=weight_kg, cells_computed=float(computed), cells=float(cells),
                capped=capped, cells_per_ml=concentration, volume_ml=float(volume),
                rounding=rule)
