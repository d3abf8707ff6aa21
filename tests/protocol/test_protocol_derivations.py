"""Ventilator-free days to day 28 by the protocol's rule, on hand-made cases."""

from __future__ import annotations

import datetime as dt

import pytest

from trialdesk.protocol.derivations import (
    Episode,
    VentilatorFreeDaysRule,
    form_context_key,
    ventilated_days,
    ventilator_free_days,
)
from trialdesk.protocol.expressions import MissingValue
from trialdesk.protocol.loader import load_protocol

DAY0 = dt.date(2026, 3, 10)


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(hour))


def test_never_ventilated_is_28():
    assert ventilator_free_days([], DAY0) == 28


def test_death_before_day_28_is_0_even_when_extubated_early():
    episodes = [Episode(at(-1), at(2))]
    assert ventilator_free_days(episodes, DAY0, dead=True, death_date=DAY0 + dt.timedelta(20)) == 0
    # dead without a known date still counts as dead by day 28
    assert ventilator_free_days(episodes, DAY0, dead=True) == 0


def test_death_on_day_28_is_0_and_after_it_counts_the_days():
    assert ventilator_free_days([], DAY0, dead=True, death_date=DAY0 + dt.timedelta(28)) == 0
    episodes = [Episode(at(0), at(4))]
    assert ventilator_free_days(episodes, DAY0, dead=True,
                                death_date=DAY0 + dt.timedelta(29)) == 23


def test_extubated_on_day_7_ventilated_days_0_to_7():
    # started before day 0: counted from day 0; the extubation day is a ventilated day
    assert ventilated_days([Episode(at(-3), at(7, 9))], DAY0) == set(range(8))
    assert ventilator_free_days([Episode(at(-3), at(7, 9))], DAY0) == 20


def test_extubated_then_reintubated_counts_both_episodes_and_frees_the_gap():
    episodes = [Episode(at(-1), at(5)), Episode(at(9, 22), at(12, 3))]
    # days 0-5 and 9-12: 10 ventilated days; days 6, 7, 8 are free
    assert ventilated_days(episodes, DAY0) == {*range(6), 9, 10, 11, 12}
    assert ventilator_free_days(episodes, DAY0) == 18


def test_overlapping_episodes_count_once():
    episodes = [Episode(at(0), at(6)), Episode(at(4), at(8))]
    assert ventilator_free_days(episodes, DAY0) == 19


def test_ongoing_at_day_28_is_0():
    assert ventilator_free_days([Episode(at(-2), None)], DAY0) == 0
    assert ventilator_free_days([Episode(at(-2), at(40))], DAY0) == 0


def test_ongoing_from_day_10_leaves_days_0_to_9():
    assert ventilator_free_days([Episode(at(10), None)], DAY0) == 10


def test_episode_wholly_before_day_0_does_not_count():
    assert ventilator_free_days([Episode(at(-5), at(-1))], DAY0) == 28


def test_a_reversed_episode_is_refused():
    with pytest.raises(ValueError, match="stops"):
        ventilator_free_days([Episode(at(5), at(3))], DAY0)


def _rule() -> VentilatorFreeDaysRule:
    form = next(f for f in load_protocol().forms if f.code == "end_of_study")
    rule = form.field("ventilator_free_days").derived
    assert isinstance(rule, VentilatorFreeDaysRule)
    return rule


def test_the_default_protocol_declares_the_rule_with_its_reference():
    rule = _rule()
    assert (rule.episodes, rule.horizon, rule.invasive) == ("ventilation_episode", 28,
                                                           ["ett", "tracheostomy"])
    assert "Schoenfeld" in rule.reference and "Crit Care Med 2002" in rule.reference


def test_rule_evaluates_from_stored_entries_and_skips_non_invasive_episodes():
    rule = _rule()
    entries = [
        {"ventilation_start": at(-1).isoformat(), "ventilation_stop": at(5).isoformat(),
         "ventilation_episode_mode": "ett"},
        {"ventilation_start": at(6).isoformat(), "ventilation_stop": at(9).isoformat(),
         "ventilation_episode_mode": "niv"},  # non-invasive: free days
        {"ventilation_start": at(20).isoformat(), "ventilation_stop": None,
         "ventilation_episode_mode": "tracheostomy"},
    ]
    values = {"vital_status_day28": "alive", "randomization_date": DAY0,
              form_context_key("ventilation_episode"): entries}
    assert rule.evaluate(values) == 28 - 6 - 8


def test_rule_is_missing_when_status_unknown_or_context_absent():
    rule = _rule()
    base = {"randomization_date": DAY0, form_context_key("ventilation_episode"): []}
    with pytest.raises(MissingValue):
        rule.evaluate({**base, "vital_status_day28": "unknown"})
    with pytest.raises(MissingValue):
        rule.evaluate({"vital_status_day28": "alive", "randomization_date": DAY0})
    assert rule.evaluate({**base, "vital_status_day28": "dead",
                          "death_date": "2026-03-15"}) == 0


def _bundled_text() -> str:
    from trialdesk.protocol.loader import default_protocol_path

    return default_protocol_path().read_text(encoding="utf-8")


@pytest.mark.parametrize("change", [
    ('episodes = "ventilation_episode"', 'episodes = "demographics"'),
    ('start = "ventilation_start"', 'start = "ventilation_stop_typo"'),
    ('death_date = "death_date"', 'death_date = "vital_status_day28"'),
    ('invasive = ["ett", "tracheostomy"]', 'invasive = ["ett", "helmet"]'),
])
def test_a_rule_naming_a_wrong_form_field_or_mode_is_refused_with_its_path(change):
    from trialdesk.protocol.errors import ProtocolError
    from trialdesk.protocol.loader import parse_protocol

    text = _bundled_text()
    assert change[0] in text
    with pytest.raises(ProtocolError) as error:
        parse_protocol(text.replace(change[0], change[1]), file="changed.toml")
    assert "fields[3].derived" in str(error.value) and "derivation-" in str(error.value)
