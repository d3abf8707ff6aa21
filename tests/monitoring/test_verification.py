"""A verification holds for the value it was made on: a change reopens it."""

from __future__ import annotations

from trialdesk.monitoring.verification import (
    CHANGED,
    NEEDS_CORRECTION,
    NOT_VERIFIED,
    PARTLY_VERIFIED,
    VERIFIED,
    Mark,
    field_states,
    item_state,
    value_hash,
)


def test_a_verified_value_stays_verified_until_it_changes():
    marks = {"pao2": Mark(VERIFIED, value_hash(80)), "fio2": Mark(VERIFIED, value_hash(0.5))}
    values = {"pao2": 80, "fio2": 0.5}
    assert field_states(["pao2", "fio2"], values, marks) == {"pao2": VERIFIED, "fio2": VERIFIED}
    assert item_state(field_states(["pao2", "fio2"], values, marks).values()) == VERIFIED
    changed = field_states(["pao2", "fio2"], {**values, "pao2": 81}, marks)
    assert changed == {"pao2": CHANGED, "fio2": VERIFIED}
    assert item_state(changed.values()) == CHANGED


def test_a_value_emptied_or_typed_differently_is_a_change():
    mark = Mark(VERIFIED, value_hash(80))
    assert field_states(["pao2"], {}, {"pao2": mark}) == {"pao2": CHANGED}
    assert field_states(["pao2"], {"pao2": "80"}, {"pao2": mark}) == {"pao2": CHANGED}
    assert value_hash({"a": 1, "b": 2}) == value_hash({"b": 2, "a": 1})


def test_needs_correction_holds_until_corrected_then_reopens():
    marks = {"pao2": Mark(NEEDS_CORRECTION, value_hash(800))}
    assert item_state(field_states(["pao2"], {"pao2": 800}, marks).values()) == NEEDS_CORRECTION
    assert item_state(field_states(["pao2"], {"pao2": 80}, marks).values()) == CHANGED


def test_item_states():
    assert item_state([]) == NOT_VERIFIED
    assert item_state([NOT_VERIFIED, NOT_VERIFIED]) == NOT_VERIFIED
    assert item_state([VERIFIED, NOT_VERIFIED]) == PARTLY_VERIFIED
    assert item_state([VERIFIED, NEEDS_CORRECTION, CHANGED]) == CHANGED
