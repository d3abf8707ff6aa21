"""The infusion's checks with NCT04390152's product rules (issue 18): the post-thaw window of
4 h, the rate (30 to 300 mL/h) and volume (1 to 100 mL) limits, the bag's prepared volume, and
interruptions inside the infusion; each refusal names its field and rule."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from trialdesk.protocol import load_protocol
from trialdesk.protocol.loader import default_protocol_path
from trialdesk.protocol.product import ProductRules
from trialdesk.supply import Infusion, InfusionError, Interruption, check_infusion

RULES = load_protocol(default_protocol_path()).product
THAW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
USE_BY = THAW + dt.timedelta(hours=4)
NOW = THAW + dt.timedelta(hours=6)


def _at(minutes: float) -> dt.datetime:
    return THAW + dt.timedelta(minutes=minutes)


def _check(infusion: Infusion, prepared: float = 72.0) -> None:
    check_infusion(infusion, RULES, thawed_at=THAW, use_by=USE_BY, prepared_volume_ml=prepared,
                   now=NOW)


def _infusion(start: float = 30, end: float = 90, rate: float = 72, volume: float = 72,
              pauses: tuple[Interruption, ...] = ()) -> Infusion:
    return Infusion(_at(start), _at(end), rate, volume, pauses)


def test_the_protocol_states_the_limits_as_assumed():
    assert RULES.infusion_rate_ml_per_h == (30, 300) and RULES.infusion_volume_ml == (1, 100)
    assert RULES.post_thaw_hours == 4


def test_an_infusion_inside_every_limit_passes_including_the_bounds():
    _check(_infusion())
    # ending exactly at the use-by time (thaw + 4 h) is inside the window; limits inclusive
    _check(_infusion(start=200, end=240, rate=300, volume=100), prepared=100)
    _check(_infusion(rate=30, volume=1))
    pause = Interruption(_at(40), _at(50), "line occluded")
    _check(_infusion(pauses=(pause, Interruption(_at(50), _at(90), "fever: stopped"))))


@pytest.mark.parametrize(("infusion", "field", "words"), [
    # one minute past thaw + 4 h
    (_infusion(start=200, end=241), "ended_at", "1 min after the preparation's use-by"),
    (_infusion(start=20, end=10), "ended_at", "after the infusion's start"),
    (Infusion(_at(-5), _at(60), 72, 72), "started_at", "thawed"),
    (_infusion(rate=29.9), "rate_ml_per_h", "29.9 mL/h is outside the protocol's limits, 30 "
                                            "to 300 mL/h (product.infusion_rate_ml_per_h)"),
    (_infusion(rate=301), "rate_ml_per_h", "product.infusion_rate_ml_per_h"),
    (_infusion(volume=0.5), "volume_ml", "0.5 mL is outside the protocol's limits, 1 to 100 mL"),
    (_infusion(volume=72.1), "volume_ml", "more than the 72 mL prepared"),
])
def test_refusals_name_the_field_and_the_rule(infusion, field, words):
    with pytest.raises(InfusionError) as refused:
        _check(infusion)
    assert refused.value.field == field and words in refused.value.message


def test_an_infusion_ending_in_the_future_is_refused():
    with pytest.raises(InfusionError) as refused:
        check_infusion(_infusion(), RULES, thawed_at=THAW, use_by=USE_BY,
                       prepared_volume_ml=72, now=_at(60))
    assert refused.value.field == "ended_at" and "future" in refused.value.message


@pytest.mark.parametrize(("pauses", "field", "words"), [
    ((Interruption(_at(20), _at(40), "late start"),), "interruptions[0].start", "inside"),
    ((Interruption(_at(80), _at(95), "after"),), "interruptions[0].start", "inside"),
    ((Interruption(_at(50), _at(45), "backwards"),), "interruptions[0].end", "after"),
    ((Interruption(_at(40), _at(45), "  "),), "interruptions[0].reason", "required"),
    ((Interruption(_at(60), _at(70), "b"), Interruption(_at(40), _at(65), "a")),
     "interruptions[0].start", "overlaps interruption 2"),
])
def test_an_interruption_outside_the_infusion_or_malformed_is_refused(pauses, field, words):
    with pytest.raises(InfusionError) as refused:
        _check(_infusion(pauses=pauses))
    assert refused.value.field == field and words in refused.value.message


def test_the_schema_refuses_incoherent_limits():
    data = RULES.model_dump()
    with pytest.raises(ValidationError, match="low end"):
        ProductRules(**{**data, "infusion_rate_ml_per_h": (300, 30)})
    with pytest.raises(ValidationError, match="above 0"):
        ProductRules(**{**data, "infusion_volume_ml": (0, 100)})
    # the cap (1e8 cells at 1e6/mL) needs 100 mL: a 90 mL limit could never give it
    with pytest.raises(ValidationError, match="largest dose's volume"):
        ProductRules(**{**data, "infusion_volume_ml": (1, 90)})
    defaults = {k: v for k, v in data.items()
                if k not in ("infusion_rate_ml_per_h", "infusion_volume_ml")}
    assert ProductRules(**defaults).infusion_rate_ml_per_h == (30, 300)
