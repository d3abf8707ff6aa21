"""The infusion's checks (issue 18): it ends within the preparation's post-thaw window, runs at
a rate and gives a volume inside the protocol's limits (``[product]``), and each interruption
lies inside it.

The limits are the same for both arms: the bags hold the same volume at the nominal
concentration, so nothing here tells cells from placebo. Each refusal names the field at fault
and the rule, in words a pharmacist acts on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from trialdesk.protocol.product import ProductRules
from trialdesk.supply.release import format_number

REASON_MAX = 500
INTERRUPTIONS_MAX = 20


class InfusionError(ValueError):
    """An infusion the protocol's rules refuse; ``field`` names the value at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Interruption:
    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass(frozen=True)
class Infusion:
    started_at: dt.datetime
    ended_at: dt.datetime
    rate_ml_per_h: float
    volume_ml: float
    interruptions: tuple[Interruption, ...] = ()


def _minutes(delta: dt.timedelta) -> str:
    return format_number(round(delta.total_seconds() / 60, 1))


def _in_range(field: str, value: float, bounds: tuple[float, float], unit: str,
              rule: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InfusionError(field, f"must be a number (got {value!r})")
    low, high = bounds
    if not low <= value <= high:
        raise InfusionError(field, f"{format_number(value)} {unit} is outside the protocol's "
                                   f"limits, {format_number(low)} to {format_number(high)} "
                                   f"{unit} ({rule})")


def _check_interruptions(infusion: Infusion) -> None:
    if len(infusion.interruptions) > INTERRUPTIONS_MAX:
        raise InfusionError("interruptions", f"at most {INTERRUPTIONS_MAX} may be recorded")
    ordered = sorted(enumerate(infusion.interruptions), key=lambda item: item[1].start)
    previous: tuple[int, Interruption] | None = None
    for index, pause in ordered:
        field = f"interruptions[{index}]"
        reason = pause.reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise InfusionError(f"{field}.reason", f"is required, at most {REASON_MAX} "
                                                   "characters")
        if pause.end <= pause.start:
            raise InfusionError(f"{field}.end", "must be after the interruption's start")
        if pause.start < infusion.started_at or pause.end > infusion.ended_at:
            raise InfusionError(f"{field}.start", "the interruption must lie inside the "
                                                  "infusion, between its start and its end")
        if previous is not None and pause.start < previous[1].end:
            raise InfusionError(f"{field}.start", f"overlaps interruption {previous[0] + 1}")
        previous = (index, pause)


def check_infusion(infusion: Infusion, rules: ProductRules, *, thawed_at: dt.datetime,
                   use_by: dt.datetime, prepared_volume_ml: float, now: dt.datetime) -> None:
    """Raise InfusionError (a ValueError) for the first rule ``infusion`` breaks."""
    if infusion.started_at < thawed_at:
        raise InfusionError("started_at", "must not be before the kit was thawed")
    if infusion.ended_at <= infusion.started_at:
        raise InfusionError("ended_at", "must be after the infusion's start")
    if infusion.ended_at > now:
        raise InfusionError("ended_at", "must not be in the future")
    if infusion.ended_at > use_by:
        raise InfusionError(
            "ended_at", f"ends {_minutes(infusion.ended_at - use_by)} min after the "
                        f"preparation's use-by time (thaw + "
                        f"{format_number(rules.post_thaw_hours)} h: product.post_thaw_hours): "
                        "cells past their post-thaw window must not be given")
    _in_range("rate_ml_per_h", infusion.rate_ml_per_h, rules.infusion_rate_ml_per_h, "mL/h",
              "product.infusion_rate_ml_per_h")
    _in_range("volume_ml", infusion.volume_ml, rules.infusion_volume_ml, "mL",
              "product.infusion_volume_ml")
    if infusion.volume_ml > prepared_volume_ml:
        raise InfusionError("volume_ml", f"{format_number(infusion.volume_ml)} mL is more than "
                                         f"the {format_number(prepared_volume_ml)} mL prepared")
    _check_interruptions(infusion)

